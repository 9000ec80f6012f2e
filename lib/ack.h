/* ack.h — acks over a named pipe (ARCHITECTURE.md, "Positions and acks").
 *
 * An ack is one text line "STREAM OFFSET\n" and is cumulative: every record
 * of STREAM at or below OFFSET is durable downstream. Because acks are
 * cumulative, the writer never blocks its stage: it keeps only the newest
 * unsent ack per stream and sends it when the pipe has room and a reader.
 * The reader keeps the FIFO open for writing too, so a downstream stage that
 * dies and restarts does not make it see end-of-file.
 * Both ends create the FIFO (mode 0600) when it does not exist. */
#ifndef DBREPL_ACK_H
#define DBREPL_ACK_H

#include "pos.h"

typedef struct ack_writer ack_writer;
typedef struct ack_reader ack_reader;

/* NULL with errno set when the path exists and is not a FIFO, or mkfifo fails. */
ack_writer *ack_writer_open(const char *path);
/* Records the ack and tries to send every pending one; never blocks.
 * Returns 0, or -1 when no reader could be reached yet (kept for later). */
int ack_writer_send(ack_writer *w, const char *stream, pos_offset off);
/* Tries again to send what is pending; call now and then, and before exit
 * (with wait_ms > 0 it waits up to that long for a reader). */
int ack_writer_flush(ack_writer *w, int wait_ms);
void ack_writer_close(ack_writer *w);

ack_reader *ack_reader_open(const char *path);
/* The descriptor to poll for POLLIN. */
int ack_reader_fd(const ack_reader *r);
/* Reads every complete line available now and calls cb for each valid one;
 * malformed lines are reported once on stderr and skipped. Returns the number
 * of acks delivered, or -1 on a read error. */
typedef void (*ack_cb)(void *ctx, const char *stream, pos_offset off);
int ack_reader_poll(ack_reader *r, ack_cb cb, void *ctx);
void ack_reader_close(ack_reader *r);

#endif
