/* num.c: the bounded integer parser (see num.h). */
#include <string.h>

#include "num.h"
#include "pt.h"

int
num_parse_u64(const char *s, size_t len, uint64_t min, uint64_t max,
    uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || out == NULL)
		return PT_EINVAL;
	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return PT_EMALFORMED;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return PT_EMALFORMED;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return PT_ERANGE;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return PT_ERANGE;
	*out = v;
	return 0;
}

int
num_parse_i64(const char *s, size_t len, int64_t min, int64_t max,
    int64_t *out)
{
	uint64_t u;
	int64_t v;
	int rc, neg = 0;

	if (s == NULL || out == NULL)
		return PT_EINVAL;
	if (len > 0 && s[0] == '-') {
		neg = 1;
		s++;
		len--;
		if (len > 0 && s[0] == '0')
			return PT_EMALFORMED;
	}
	if ((rc = num_parse_u64(s, len, 0, neg ? (uint64_t)INT64_MAX + 1 :
	    (uint64_t)INT64_MAX, &u)) != 0)
		return rc;
	if (neg)
		v = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	else
		v = (int64_t)u;
	if (v < min || v > max)
		return PT_ERANGE;
	*out = v;
	return 0;
}

int
num_parse_u64_str(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (s == NULL)
		return PT_EINVAL;
	return num_parse_u64(s, strlen(s), min, max, out);
}

int
num_parse_i64_str(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (s == NULL)
		return PT_EINVAL;
	return num_parse_i64(s, strlen(s), min, max, out);
}

void
num_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

uint64_t
num_get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}
