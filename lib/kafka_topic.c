/* kafka_topic.c — see kafka_topic.h. */
#include "kafka_topic.h"

#include <stdio.h>
#include <string.h>

int kafka_topic_char_ok(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* Length of the placeholder at p ("{db}" …) or 0; *which gets its index. */
static size_t placeholder(const char *p, int *which)
{
	static const char *const names[] = {"{prefix}", "{db}", "{schema}", "{table}"};
	for (int i = 0; i < 4; i++) {
		size_t n = strlen(names[i]);
		if (strncmp(p, names[i], n) == 0) {
			*which = i;
			return n;
		}
	}
	return 0;
}

int kafka_topic_template_check(const char *tmpl, char *err, size_t errlen)
{
	if (!*tmpl) {
		snprintf(err, errlen, "empty topic template");
		return -1;
	}
	for (const char *p = tmpl; *p;) {
		int which;
		size_t n = placeholder(p, &which);
		if (n) {
			p += n;
			continue;
		}
		if (*p == '{') {
			snprintf(err, errlen, "unknown placeholder in topic template at \"%.20s\" "
					      "(use {prefix}, {db}, {schema}, {table})", p);
			return -1;
		}
		if (!kafka_topic_char_ok((unsigned char)*p)) {
			snprintf(err, errlen, "character '%c' is not allowed in a Kafka topic name "
					      "(only A-Z a-z 0-9 . _ -)", *p);
			return -1;
		}
		p++;
	}
	if (strlen(tmpl) > KAFKA_TOPIC_MAX) {
		snprintf(err, errlen, "topic template longer than %d bytes", KAFKA_TOPIC_MAX);
		return -1;
	}
	return 0;
}

int kafka_topic_expand(const char *tmpl, const char *prefix, const char *db,
		       const char *schema, const char *table, char *out, size_t outlen)
{
	const char *vals[4] = {prefix ? prefix : db, db, schema, table};
	size_t max = outlen - 1 < KAFKA_TOPIC_MAX ? outlen - 1 : KAFKA_TOPIC_MAX;
	size_t o = 0;
	for (const char *p = tmpl; *p;) {
		int which;
		size_t n = placeholder(p, &which);
		if (!n) {
			if (o >= max)
				return -1;
			out[o++] = *p++;
			continue;
		}
		p += n;
		for (const char *v = vals[which] ? vals[which] : ""; *v; v++) {
			if (o >= max)
				return -1;
			out[o++] = kafka_topic_char_ok((unsigned char)*v) ? *v : '_';
		}
	}
	out[o] = '\0';
	if (o == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		return -1;
	return (int)o;
}

int kafka_topic_family(const char *tmpl, const char *prefix, const char *db, char *out, size_t outlen,
		       int *exact)
{
	char head[KAFKA_TOPIC_MAX + 1];
	size_t n = 0;
	*exact = 1;
	for (const char *p = tmpl; *p && n < sizeof head - 1;) {
		int which;
		size_t len = placeholder(p, &which);
		if (len && which >= 2) {
			*exact = 0;
			break;
		}
		size_t take = len ? len : 1;
		memcpy(head + n, p, take < sizeof head - 1 - n ? take : sizeof head - 1 - n);
		n += take < sizeof head - 1 - n ? take : sizeof head - 1 - n;
		p += take;
	}
	head[n] = '\0';
	if (n == 0) {
		out[0] = '\0';
		return 0;
	}
	int r = kafka_topic_expand(head, prefix, db, "", "", out, outlen);
	return r < 0 ? 0 : r;
}
