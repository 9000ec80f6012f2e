/* syncrep.c — synchronous_standby_names, read with the grammar of the
 * server's syncrep_scanner.l and syncrep_gram.y:
 *
 *     name [, ...]  |  N (name [, ...])  |  FIRST N (...)  |  ANY N (...)
 *
 * where a name is an identifier, a number, "*" or a double-quoted string
 * ("" for a quote), and the server compares it with a standby's
 * application_name ignoring ASCII case. */
#include "syncrep.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum tok { T_END, T_ERR, T_NAME, T_NUM, T_ANY, T_FIRST, T_OPEN, T_CLOSE, T_COMMA };

/* Longer than any application_name (NAMEDATALEN - 1): a name this long
 * matches none, and is kept only to its first bytes. */
#define NAME_MAX_LEN 128

typedef struct scanner {
	const char *p;
	char text[NAME_MAX_LEN + 1];
	size_t len; /* of the token, which may exceed what text holds */
} scanner;

static bool ident_start(unsigned char c)
{
	return (c < 0x80 && isalpha(c)) || c == '_' || c >= 0x80;
}

static bool ident_cont(unsigned char c)
{
	return ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static void keep(scanner *s, char c)
{
	if (s->len < NAME_MAX_LEN)
		s->text[s->len] = c;
	s->len++;
}

static bool word_is(const scanner *s, const char *kw)
{
	size_t n = strlen(kw);
	if (s->len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)s->text[i]) != kw[i])
			return false;
	return true;
}

static enum tok next(scanner *s)
{
	while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r' || *s->p == '\f' || *s->p == '\v')
		s->p++;
	s->len = 0;
	s->text[0] = '\0';
	unsigned char c = (unsigned char)*s->p;
	if (c == '\0')
		return T_END;
	if (c == '(' || c == ')' || c == ',') {
		s->p++;
		return c == '(' ? T_OPEN : c == ')' ? T_CLOSE : T_COMMA;
	}
	if (c == '*') {
		s->p++;
		keep(s, '*');
		s->text[1] = '\0';
		return T_NAME;
	}
	if (c == '"') {
		for (s->p++;; s->p++) {
			if (*s->p == '\0')
				return T_ERR;
			if (*s->p == '"') {
				if (s->p[1] != '"')
					break;
				s->p++;
			}
			keep(s, *s->p);
		}
		s->p++;
		s->text[s->len < NAME_MAX_LEN ? s->len : NAME_MAX_LEN] = '\0';
		return T_NAME;
	}
	if (c >= '0' && c <= '9') {
		while (*s->p >= '0' && *s->p <= '9')
			keep(s, *s->p++);
		s->text[s->len < NAME_MAX_LEN ? s->len : NAME_MAX_LEN] = '\0';
		return T_NUM;
	}
	if (!ident_start(c))
		return T_ERR;
	while (ident_cont((unsigned char)*s->p))
		keep(s, *s->p++);
	s->text[s->len < NAME_MAX_LEN ? s->len : NAME_MAX_LEN] = '\0';
	/* The scanner takes the longest match, so "anyone" is a name. */
	if (word_is(s, "any"))
		return T_ANY;
	if (word_is(s, "first"))
		return T_FIRST;
	return T_NAME;
}

static bool name_matches(const scanner *s, const char *app)
{
	if (s->len == 1 && s->text[0] == '*')
		return true;
	if (s->len > NAME_MAX_LEN || s->len != strlen(app))
		return false;
	for (size_t i = 0; i < s->len; i++) {
		unsigned char a = (unsigned char)s->text[i], b = (unsigned char)app[i];
		if (a < 0x80 && b < 0x80 ? tolower(a) != tolower(b) : a != b)
			return false;
	}
	return true;
}

/* N as the server reads it: atoi, which is strtol cut to an int. */
static long server_atoi(const char *digits)
{
	unsigned long v = strtoul(digits, NULL, 10);
	if (v > (unsigned long)LONG_MAX)
		return -1; /* strtol's LONG_MAX, cut to an int */
	uint32_t low = (uint32_t)v;
	return low <= INT32_MAX ? (long)low : (long)low - 4294967296L;
}

/* The priority of app under setting (the position of the first entry that
 * names it; 1 for any member of a quorum), with N and the kind: 0 when no
 * entry names it, -1 when the setting names no standby or is not read. */
static long priority(const char *setting, const char *app, long *num_sync, bool *quorum)
{
	scanner s = {.p = setting};
	*num_sync = 1;
	*quorum = false;
	enum tok t = next(&s);
	if (t == T_END || t == T_ERR)
		return -1;
	bool bracketed = false;
	if (t == T_ANY || t == T_FIRST || t == T_NUM) {
		bool keyword = t != T_NUM;
		*quorum = t == T_ANY;
		if (keyword && next(&s) != T_NUM)
			return -1;
		long n = server_atoi(s.text);
		t = next(&s);
		if (t == T_OPEN) {
			if (n < 1)
				return -1;
			*num_sync = n;
			bracketed = true;
			t = next(&s);
		} else if (keyword) {
			return -1;
		} else {
			/* A plain list whose first name is a number: read it again. */
			s = (scanner){.p = setting};
			t = next(&s);
		}
	}
	long at = 0, mine = 0;
	for (;;) {
		if (t != T_NAME && t != T_NUM)
			return -1;
		at++;
		if (!mine && app && name_matches(&s, app))
			mine = at;
		t = next(&s);
		if (t != T_COMMA)
			break;
		t = next(&s);
	}
	if (bracketed) {
		if (t != T_CLOSE)
			return -1;
		t = next(&s);
	}
	if (t != T_END)
		return -1;
	return *quorum && mine ? 1 : mine;
}

bool syncrep_commits_wait_for(const char *setting, const syncrep_standby *s, size_t n, size_t me)
{
	long num_sync;
	bool quorum;
	if (!setting || me >= n || !s[me].app)
		return false;
	long mine = priority(setting, s[me].app, &num_sync, &quorum);
	if (mine <= 0)
		return false;
	/* The candidates that release a commit in its place: chosen before it
	 * (by priority), or the other members (of a quorum). */
	long others = 0;
	for (size_t j = 0; j < n; j++) {
		if (j == me || !s[j].valid)
			continue;
		if (!s[j].app) {
			others++;
			continue;
		}
		long nn;
		bool q;
		long p = priority(setting, s[j].app, &nn, &q);
		if (p > 0 && (quorum || p < mine || (p == mine && j < me)))
			others++;
	}
	return others < num_sync;
}
