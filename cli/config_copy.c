/* libconfig settings copied between configurations. */
#include "config_copy.h"

int fl_cli_copy_setting(config_setting_t *parent, const config_setting_t *src)
{
    int type = config_setting_type(src);
    const char *name = config_setting_is_group(parent) ? config_setting_name(src) : NULL;
    config_setting_t *dst = config_setting_add(parent, name, type);

    if (!dst)
        return -1;
    config_setting_set_format(dst, config_setting_get_format(src));
    switch (type) {
    case CONFIG_TYPE_INT:
        return config_setting_set_int(dst, config_setting_get_int(src)) ? 0 : -1;
    case CONFIG_TYPE_INT64:
        return config_setting_set_int64(dst, config_setting_get_int64(src)) ? 0 : -1;
    case CONFIG_TYPE_FLOAT:
        return config_setting_set_float(dst, config_setting_get_float(src)) ? 0 : -1;
    case CONFIG_TYPE_BOOL:
        return config_setting_set_bool(dst, config_setting_get_bool(src)) ? 0 : -1;
    case CONFIG_TYPE_STRING:
        return config_setting_set_string(dst, config_setting_get_string(src)) ? 0 : -1;
    }
    for (int i = 0; i < config_setting_length(src); i++)
        if (fl_cli_copy_setting(dst, config_setting_get_elem(src, (unsigned)i)) < 0)
            return -1;
    return 0;
}
