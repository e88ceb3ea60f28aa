/* The shim's environment for a child: where libfaultline.so is, the LD_PRELOAD value that loads
 * it (behind a sanitizer runtime, which must stay first), inline settings merged into an inline
 * config, and a config validated with the shim's own reader. Used by faultline run (which
 * exports them and execs) and faultline experiment (which passes them to its children). */
#ifndef FL_CLI_PRELOAD_H
#define FL_CLI_PRELOAD_H

struct fl_config;

/* The shim: $FAULTLINE_LIBRARY, else libfaultline.so beside this executable (the build tree),
 * else in ../lib from it (an installed prefix, wherever DESTDIR put it), else in LIBDIR.
 * malloc'd, absolute; NULL after printing why there is none. */
char *fl_preload_find_library(void);

/* The LD_PRELOAD value that loads lib in front of what `old` (the current LD_PRELOAD; NULL or
 * "" for none) holds, behind the sanitizer runtimes (libasan, libclang_rt.asan, ...) it starts
 * with. malloc'd; NULL when out of memory. */
char *fl_preload_value(const char *lib, const char *old);

/* The settings of the libconfig text `add` merged into the libconfig text `existing`: `add`'s
 * global settings replace those of the same name, its `rules` are appended to the `rules` list
 * (made when there is none), and the result is written back as libconfig text (comments and
 * layout are lost, @include is expanded, floats keep 15 significant digits). malloc'd; NULL when
 * either does not parse or the merge fails (validate them apart to learn why). */
char *fl_preload_merge_text(const char *existing, const char *add);

/* Load the config file `path` and the inline text `text` (either may be NULL) as the shim will,
 * into *cfg (release with fl_config_free). Returns 0, or -1 after printing the diagnostic
 * (FILE:LINE: message) on stderr. */
int fl_preload_validate(const char *path, const char *text, struct fl_config *cfg);

#endif
