/* stdio_reader: reads a file through fread and then fgets, and says what each call returned.
 *
 *   stdio_reader FILE
 *
 * Prints on stdout, one line each:
 *   fread N eof=E err=F          what fread(buf, 1, 4096, f) returned, and the stream's flags
 *   fgets LEN eof=E | fgets NULL eof=E
 *   data HEX                     the bytes fread returned, in hex (to count flipped bits)
 * Exit status: 0, or 2 when FILE cannot be opened.
 * Used by tests/integration/t_rule_stdio.sh.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    static unsigned char buf[4096];
    char line[256];
    FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
    if (!f)
        return 2;
    size_t n = fread(buf, 1, sizeof buf, f);
    printf("fread %zu eof=%d err=%d\n", n, feof(f), ferror(f));
    rewind(f);
    char *s = fgets(line, sizeof line, f);
    if (s)
        printf("fgets %zu eof=%d\n", strlen(s), feof(f));
    else
        printf("fgets NULL eof=%d\n", feof(f));
    printf("data ");
    for (size_t i = 0; i < n; i++)
        printf("%02x", buf[i]);
    printf("\n");
    fclose(f);
    return 0;
}
