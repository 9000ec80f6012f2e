/* copytext.c — see copytext.h. Follows the reading rules of PostgreSQL's
 * CopyReadAttributesText (src/backend/commands/copyfromparse.c), which is the
 * inverse of what COPY TO writes. */
#include "copytext.h"

#include <string.h>

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int copytext_split(char *row, size_t len, copytext_field *f, size_t max)
{
	if (len > 0 && row[len - 1] == '\n')
		len--;
	size_t n = 0;
	size_t i = 0;
	for (;;) {
		if (n == max)
			return -1;
		size_t start = i;
		/* Most fields hold no escape: find the delimiter fast and only
		 * fall back to byte-by-byte decoding after a backslash. */
		size_t rest = len - i;
		const char *tab = memchr(row + i, '\t', rest);
		size_t end = tab ? (size_t)(tab - row) : len;
		const char *bs = memchr(row + i, '\\', end - i);
		size_t w;
		if (!bs) {
			w = end;
			i = end;
		} else if (end - start == 2 && row[start] == '\\' && row[start + 1] == 'N') {
			f[n].data = row + start;
			f[n].len = 0;
			f[n].null = true;
			row[start] = '\0';
			n++;
			if (end == len)
				return (int)n;
			i = end + 1;
			continue;
		} else {
			w = (size_t)(bs - row);
			i = w;
			while (i < len && row[i] != '\t') {
				unsigned char c = (unsigned char)row[i++];
				if (c != '\\') {
					row[w++] = (char)c;
					continue;
				}
				if (i >= len)
					return -1;
				c = (unsigned char)row[i++];
				switch (c) {
				case 'b': row[w++] = '\b'; break;
				case 'f': row[w++] = '\f'; break;
				case 'n': row[w++] = '\n'; break;
				case 'r': row[w++] = '\r'; break;
				case 't': row[w++] = '\t'; break;
				case 'v': row[w++] = '\v'; break;
				case 'x': {
					int h = i < len ? hexval((unsigned char)row[i]) : -1;
					if (h < 0) {
						row[w++] = 'x';
						break;
					}
					int v = h;
					i++;
					h = i < len ? hexval((unsigned char)row[i]) : -1;
					if (h >= 0) {
						v = v * 16 + h;
						i++;
					}
					row[w++] = (char)v;
					break;
				}
				default:
					if (c >= '0' && c <= '7') {
						int v = c - '0';
						for (int k = 0; k < 2 && i < len && row[i] >= '0' && row[i] <= '7'; k++)
							v = v * 8 + (row[i++] - '0');
						row[w++] = (char)(v & 0xff);
					} else {
						row[w++] = (char)c;
					}
				}
			}
			end = i;
		}
		f[n].data = row + start;
		f[n].len = w - start;
		f[n].null = false;
		row[w] = '\0';
		n++;
		if (end >= len)
			return (int)n;
		i = end + 1;
	}
}
