/*
 * Number parsing and formatting exactly as Redis 7.0 does it, in C because
 * INCRBYFLOAT is defined by `long double` arithmetic (80-bit extended on
 * x86-64) and glibc's `%.17Lf` / `%.17g` / strtold / strtod, which no Rust
 * type or formatter reproduces bit for bit. Inputs are byte ranges (not C
 * strings); every function copies into a bounded, NUL-terminated buffer.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis's MAX_LONG_DOUBLE_CHARS. */
#define MAX_LD_CHARS (5 * 1024)

/* Redis's string2ld: the whole input must be one long double. */
static int parse_ld(const char *s, size_t len, long double *out) {
    char buf[MAX_LD_CHARS];
    char *end;
    long double v;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || end[0] != '\0' || (size_t)(end - buf) != len ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        errno == EINVAL || isnan(v))
        return 0;
    *out = v;
    return 1;
}

/* Redis's ld2string in LD_STR_HUMAN mode: "%.17Lf" minus trailing zeros. */
static int format_ld_human(long double v, char *out, size_t cap) {
    int n;
    if (isinf(v)) {
        n = snprintf(out, cap, "%s", v > 0 ? "inf" : "-inf");
        return n < (int)cap ? n : -1;
    }
    n = snprintf(out, cap, "%.17Lf", v);
    if (n < 0 || (size_t)n + 1 > cap) return -1;
    if (strchr(out, '.') != NULL) {
        while (out[n - 1] == '0') n--;
        if (out[n - 1] == '.') n--;
    }
    if (n == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        n = 1;
    }
    out[n] = '\0';
    return n;
}

/*
 * value + incr as INCRBYFLOAT computes it. Returns the length written to
 * out, or -1 (value is not a float), -2 (incr is not a float), -3 (result
 * is NaN or infinite), -4 (no room).
 */
int sonde_incrbyfloat(const char *value, size_t value_len, const char *incr, size_t incr_len,
                      char *out, size_t cap) {
    long double a, b, sum;
    int n;
    if (!parse_ld(value, value_len, &a)) return -1;
    if (!parse_ld(incr, incr_len, &b)) return -2;
    sum = a + b;
    if (isnan(sum) || isinf(sum)) return -3;
    n = format_ld_human(sum, out, cap);
    return n < 0 ? -4 : n;
}

/* A long double in human form (createStringObjectFromLongDouble(v, 1)),
 * from a value given as text. Returns the length or -1. */
int sonde_ld_human(const char *value, size_t value_len, char *out, size_t cap) {
    long double a;
    if (!parse_ld(value, value_len, &a)) return -1;
    return format_ld_human(a, out, cap);
}

/* Redis's string2d: 1 and *out set when the whole input is one double. */
int sonde_string2d(const char *s, size_t len, double *out) {
    char buf[MAX_LD_CHARS];
    char *end;
    double v;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtod(buf, &end);
    if (isspace((unsigned char)buf[0]) || (size_t)(end - buf) != len ||
        (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return 0;
    *out = v;
    return 1;
}

/* "%.17g", as addReplyDouble writes doubles. Returns the length. */
int sonde_format_g17(double v, char *out, size_t cap) {
    int n = snprintf(out, cap, "%.17g", v);
    return (n < 0 || (size_t)n >= cap) ? -1 : n;
}

/* Redis's string2ld, narrowed to a double (blocking timeouts). */
int sonde_string2ld(const char *s, size_t len, double *out) {
    long double v;
    if (!parse_ld(s, len, &v)) return 0;
    *out = (double)v;
    return 1;
}

/*
 * strtod over the argument as a C string (up to its first NUL), accepted
 * when the whole C string was consumed and the value is not NaN: how
 * zslParseRange reads ZRANGEBYSCORE bounds (so "" is 0 and " 1" is 1).
 */
int sonde_strtod_cstr(const char *s, size_t len, double *out) {
    char buf[MAX_LD_CHARS];
    char *end;
    double v;
    size_t n = strnlen(s, len);
    if (n >= sizeof(buf)) return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    v = strtod(buf, &end);
    if (end[0] != '\0' || isnan(v)) return 0;
    *out = v;
    return 1;
}
