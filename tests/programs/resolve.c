/* resolve: looks a name up the way programs do, and reports the resolver's own failure codes.
 *
 *   resolve [-m gai|gai-numeric|ghbn|ghbn_r|gni] NAME
 *
 * Used by tests/integration/t_getaddrinfo_eai.sh to check that injected resolver errors arrive
 * as the codes real failures use.
 *
 *   gai         getaddrinfo(NAME, "80", AF_UNSPEC/SOCK_STREAM)      (the default)
 *   gai-numeric the same with AI_NUMERICHOST (no DNS traffic at all)
 *   ghbn        gethostbyname(NAME)
 *   ghbn_r      gethostbyname_r(NAME)
 *   gni         getnameinfo of the IPv4 address NAME with NI_NUMERICHOST
 *
 * Success: prints "ok ADDRESS" (the first address, or the numeric host for gni) on stdout, exit 0.
 * getaddrinfo/getnameinfo failure, on stdout:
 *   gai-error CODE EAI_NAME: gai_strerror text [errno ERRNONAME]    exit 3
 *   (the errno part only for EAI_SYSTEM)
 * gethostbyname* failure, on stdout:
 *   h_errno CODE NAME: hstrerror text [errno ERRNONAME]            exit 4
 *   (the errno part only for NETDB_INTERNAL)
 * Usage errors exit 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *eai_name(int code)
{
    switch (code) {
    case EAI_AGAIN: return "EAI_AGAIN";
    case EAI_NONAME: return "EAI_NONAME";
    case EAI_FAIL: return "EAI_FAIL";
    case EAI_MEMORY: return "EAI_MEMORY";
    case EAI_SERVICE: return "EAI_SERVICE";
    case EAI_FAMILY: return "EAI_FAMILY";
    case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
    case EAI_BADFLAGS: return "EAI_BADFLAGS";
    case EAI_OVERFLOW: return "EAI_OVERFLOW";
    case EAI_SYSTEM: return "EAI_SYSTEM";
    case EAI_NODATA: return "EAI_NODATA";
    case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
    }
    return "EAI_?";
}

static const char *herrno_name(int code)
{
    switch (code) {
    case HOST_NOT_FOUND: return "HOST_NOT_FOUND";
    case TRY_AGAIN: return "TRY_AGAIN";
    case NO_RECOVERY: return "NO_RECOVERY";
    case NO_DATA: return "NO_DATA";
    case NETDB_INTERNAL: return "NETDB_INTERNAL";
    }
    return "H_?";
}

static const char *errno_name(int e)
{
    const char *n = strerrorname_np(e);
    return n ? n : "0";
}

static int gai_failed(int code, int e)
{
    printf("gai-error %d %s: %s", code, eai_name(code), gai_strerror(code));
    if (code == EAI_SYSTEM)
        printf(" errno %s", errno_name(e));
    printf("\n");
    return 3;
}

static int h_failed(int code, int e)
{
    printf("h_errno %d %s: %s", code, herrno_name(code), hstrerror(code));
    if (code == NETDB_INTERNAL)
        printf(" errno %s", errno_name(e));
    printf("\n");
    return 4;
}

static void print_addr(int family, const void *addr)
{
    char text[INET6_ADDRSTRLEN];
    inet_ntop(family, addr, text, sizeof text);
    printf("ok %s\n", text);
}

static int by_getaddrinfo(const char *name, int numeric)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = numeric ? AI_NUMERICHOST : 0;
    errno = 0;
    int code = getaddrinfo(name, "80", &hints, &res);
    if (code != 0)
        return gai_failed(code, errno);
    if (res->ai_family == AF_INET)
        print_addr(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr);
    else
        print_addr(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr);
    freeaddrinfo(res);
    return 0;
}

static int by_gethostbyname(const char *name)
{
    errno = 0;
    struct hostent *h = gethostbyname(name);
    if (!h)
        return h_failed(h_errno, errno);
    print_addr(h->h_addrtype, h->h_addr_list[0]);
    return 0;
}

static int by_gethostbyname_r(const char *name)
{
    struct hostent ret, *result = NULL;
    char buf[8192];
    int herr = 0;
    errno = 0;
    int r = gethostbyname_r(name, &ret, buf, sizeof buf, &result, &herr);
    if (r != 0 || !result) {
        /* the _r form returns an errno value and reports h_errno through herr */
        printf("gethostbyname_r returned %s\n", errno_name(r));
        return h_failed(herr, r);
    }
    print_addr(result->h_addrtype, result->h_addr_list[0]);
    return 0;
}

static int by_getnameinfo(const char *name)
{
    struct sockaddr_in sin;
    char host[NI_MAXHOST];
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(80);
    if (inet_pton(AF_INET, name, &sin.sin_addr) != 1) {
        fprintf(stderr, "resolve: gni needs an IPv4 address\n");
        return 2;
    }
    errno = 0;
    int code = getnameinfo((struct sockaddr *)&sin, sizeof sin, host, sizeof host, NULL, 0,
                           NI_NUMERICHOST);
    if (code != 0)
        return gai_failed(code, errno);
    printf("ok %s\n", host);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = "gai";
    int opt;
    while ((opt = getopt(argc, argv, "m:")) != -1) {
        if (opt != 'm')
            goto usage;
        mode = optarg;
    }
    if (argc - optind != 1)
        goto usage;
    const char *name = argv[optind];
    if (strcmp(mode, "gai") == 0)
        return by_getaddrinfo(name, 0);
    if (strcmp(mode, "gai-numeric") == 0)
        return by_getaddrinfo(name, 1);
    if (strcmp(mode, "ghbn") == 0)
        return by_gethostbyname(name);
    if (strcmp(mode, "ghbn_r") == 0)
        return by_gethostbyname_r(name);
    if (strcmp(mode, "gni") == 0)
        return by_getnameinfo(name);
usage:
    fprintf(stderr, "usage: resolve [-m gai|gai-numeric|ghbn|ghbn_r|gni] NAME\n");
    return 2;
}
