/* libconfig settings copied between configurations, for the verbs that write libconfig text
 * back out (run merges the options' rules into FAULTLINE_RULES; experiment turns a file's
 * inline rules into a faultline config). */
#ifndef FL_CLI_CONFIG_COPY_H
#define FL_CLI_CONFIG_COPY_H

#include <libconfig.h>

/* Append a deep copy of src (its name when parent is a group, its value, its format) to the
 * group, list or array parent, which may belong to another config_t. Returns 0, or -1 when
 * libconfig refused (out of memory, or a type parent cannot hold). */
int fl_cli_copy_setting(config_setting_t *parent, const config_setting_t *src);

#endif
