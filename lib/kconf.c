/* kconf.c — see kconf.h. */
#include "kconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kconf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *err, size_t errlen)
{
	char rkerr[512];
	if (rd_kafka_conf_set(conf, key, value, rkerr, sizeof rkerr) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "%s", rkerr);
		return -1;
	}
	return 0;
}

int kconf_set_kv(rd_kafka_conf_t *conf, const char *kv, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		snprintf(err, errlen, "expected key=value, got \"%.*s\"", (int)(eq ? eq - kv : (long)strlen(kv)), kv);
		return -1;
	}
	char key[256];
	size_t kl = (size_t)(eq - kv);
	if (kl >= sizeof key) {
		snprintf(err, errlen, "property name too long");
		return -1;
	}
	memcpy(key, kv, kl);
	key[kl] = '\0';
	return kconf_set(conf, key, eq + 1, err, errlen);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int kconf_load_file(rd_kafka_conf_t *conf, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[4096];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char e[512];
		if (kconf_set_kv(conf, s, e, sizeof e) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, e);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}
