/* jtree.h — a strict JSON parser that builds a tree, for the dialects read
 * at the edges (Debezium change events, record_debezium.c), whose fields
 * come in any order and nest, so that they are read by walking a tree
 * rather than in one pass as record_json.c reads our own records.
 *
 * Strict: RFC 8259 grammar, UTF-8 checked, every escape checked, U+0000
 * refused, nesting bounded. A number keeps the text it was written with,
 * so that a value is never passed through a binary float. Strings point
 * into the input when they hold no escape, else at an unescaped copy;
 * either way they are not NUL-terminated (use len). Nodes come from the
 * caller's allocator and live as long as its storage. */
#ifndef DBREPL_JTREE_H
#define DBREPL_JTREE_H

#include <stdbool.h>
#include <stddef.h>

#define JTREE_MAX_DEPTH 64

typedef enum jt_type { JT_NULL, JT_FALSE, JT_TRUE, JT_NUMBER, JT_STRING, JT_ARRAY, JT_OBJECT } jt_type;

typedef struct jt_node jt_node;
struct jt_node {
	jt_type type;
	const char *s; /* NUMBER, STRING: the text (not NUL-terminated) */
	size_t len;    /* its bytes; ARRAY, OBJECT: the number of children */
	bool is_int;   /* NUMBER: no fraction and no exponent */
	const char *key; /* a member of an object: its key (not NUL-terminated) */
	size_t klen;
	jt_node *first, *next; /* ARRAY, OBJECT: the children, in order */
	size_t at;             /* byte offset of the value in the input */
};

/* Storage for nodes and unescaped strings: n bytes aligned to align, or
 * NULL when out of memory. */
typedef void *(*jt_alloc_fn)(void *ctx, size_t n, size_t align);

/* Parses data[0..len): one JSON value with optional whitespace around.
 * The tree, or NULL with a message in err ("… at byte N"). */
jt_node *jt_parse(const char *data, size_t len, jt_alloc_fn alloc, void *ctx, char *err, size_t errlen);

/* The member of object o named key, or NULL (also when o is not an
 * object). Linear: for the few named fields of a block, not for images. */
const jt_node *jt_get(const jt_node *o, const char *key);
/* Whether node n is a string equal to s. */
bool jt_str_is(const jt_node *n, const char *s);
/* Whether the key of member n is s. */
bool jt_key_is(const jt_node *n, const char *s);

#endif
