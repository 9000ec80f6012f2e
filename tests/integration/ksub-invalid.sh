#!/usr/bin/env bash
# A message that is not a change record: ksub exits 65 naming topic,
# partition and offset, having written everything before it and nothing
# after it, and without committing it (a rerun stops at the same message).
# With --skip-invalid FILE the message goes to FILE and the rest is
# delivered; the skipped message is committed with the records around it,
# also with --ack when it is the last of its partition.
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/kafka.sh"
needs ksub kcat jq

T=ks.bad
kafka_start -n 3 $T:1:3 ks.badend:1:3 ks.bado:1:3
cd "$TEST_TMP"
KX=(-b "$KAFKA_BROKERS" -X session.timeout.ms=5000 -X heartbeat.interval.ms=500 --no-progress)

kafka_gen_records 10 1 5 >recs.ndjson
{ head -n 5 recs.ndjson; echo 'this is not a record'; tail -n 5 recs.ndjson; } >in.txt
kcat -P -b "$KAFKA_BROKERS" -t $T -l in.txt || fail "kcat -P"

"$BIN/ksub" "${KX[@]}" -G g1 -e $T >out1.ndjson 2>err1.txt
rc=$?
[ $rc = 65 ] || { cat err1.txt; fail "bad message: exit $rc, want 65"; }
grep -q '^ksub: .*topic ks\.bad partition 0 offset 5' err1.txt || { cat err1.txt; fail "error does not name topic/partition/offset"; }
[ "$(jq -r .pos.offset out1.ndjson | tr '\n' ' ')" = "0 1 2 3 4 " ] || fail "want offsets 0-4 before the bad one, got $(jq -r .pos.offset out1.ndjson | tr '\n' ' ')"

# Not committed: the same group stops at the same message, writing nothing.
"$BIN/ksub" "${KX[@]}" -G g1 -e $T >out2.ndjson 2>err2.txt
rc=$?
[ $rc = 65 ] || fail "rerun: exit $rc, want 65"
grep -q 'offset 5' err2.txt || fail "rerun stopped elsewhere: $(cat err2.txt)"
[ -s out2.ndjson ] && fail "rerun wrote $(wc -l <out2.ndjson) records (offsets 0-4 were not committed)"

# --skip-invalid: the message goes to the file, the rest comes out.
"$BIN/ksub" "${KX[@]}" -G g1 -e --skip-invalid skipped.ndjson $T >out3.ndjson 2>err3.txt ||
	{ cat err3.txt; fail "--skip-invalid: exit $?"; }
[ "$(jq -r .pos.offset out3.ndjson | tr '\n' ' ')" = "6 7 8 9 10 " ] || fail "--skip-invalid delivered $(jq -r .pos.offset out3.ndjson | tr '\n' ' ')"
[ "$(wc -l <skipped.ndjson)" = 1 ] || fail "skip file has $(wc -l <skipped.ndjson) lines"
[ "$(jq -r '"\(.topic) \(.partition) \(.offset) \(.value)"' skipped.ndjson)" = "ks.bad 0 5 this is not a record" ] ||
	fail "skip file holds $(cat skipped.ndjson)"
jq -e '.error | length > 0' skipped.ndjson >/dev/null || fail "skip file gives no reason"
# ... and everything, the skipped message included, was committed.
"$BIN/ksub" "${KX[@]}" -G g1 -e --skip-invalid skipped.ndjson $T >out4.ndjson 2>err4.txt || fail "rerun after skip: exit $?"
[ -s out4.ndjson ] && fail "rerun after skip read $(wc -l <out4.ndjson) records again"
[ "$(wc -l <skipped.ndjson)" = 1 ] || fail "the skipped message was delivered to the file again"

# With --ack: a bad message last in its partition is committed once the
# records before it are acked (nobody acks the bad one itself).
{ head -n 3 recs.ndjson; printf '{"v":1,"op":"c"}\n'; } >end.txt
kcat -P -b "$KAFKA_BROKERS" -t ks.badend -l end.txt || fail "kcat -P (2)"
mkfifo ack.fifo
"$BIN/ksub" "${KX[@]}" -G g2 -e --ack ack.fifo --ack-wait 20 --skip-invalid skip2.ndjson ks.badend 2>err5.txt |
	while IFS= read -r l; do
		jq -r '"\(.pos.stream) \(.pos.offset)"' <<<"$l" >>ack.fifo
		echo "$l" >>out5.ndjson
	done
[ "${PIPESTATUS[0]}" = 0 ] || { cat err5.txt; fail "--ack --skip-invalid: exit ${PIPESTATUS[0]}"; }
[ "$(wc -l <out5.ndjson)" = 3 ] || fail "--ack run wrote $(wc -l <out5.ndjson) records, want 3"
[ "$(jq -r .offset skip2.ndjson)" = 3 ] || fail "skip file (2): $(cat skip2.ndjson)"
"$BIN/ksub" "${KX[@]}" -G g2 -e --skip-invalid skip2.ndjson ks.badend >out6.ndjson 2>err6.txt || fail "rerun (2): exit $?"
[ -s out6.ndjson ] && fail "acked records delivered again"
[ "$(wc -l <skip2.ndjson)" = 1 ] || fail "the bad message after the acked records was not committed"
# --ordered reads a partition from a queue of its own once its first
# message came, a batch at a time: the bad message must stop it there too,
# nothing after it written nor committed. The rest is produced after the
# first record was read, so that it comes through that queue.
kcat -P -b "$KAFKA_BROKERS" -t ks.bado -l <(head -n 1 recs.ndjson) || fail "kcat -P (3)"
"$BIN/ksub" "${KX[@]}" -G g3 --ordered -v ks.bado >out7.ndjson 2>err7.txt &
ko=$!
for _ in $(seq 1 100); do [ -s out7.ndjson ] && break; sleep 0.1; done
[ -s out7.ndjson ] || { kill $ko; fail "--ordered: the first record never came"; }
{ sed -n 2,5p recs.ndjson; echo 'this is not a record'; tail -n 5 recs.ndjson; } >in7.txt
kcat -P -b "$KAFKA_BROKERS" -t ks.bado -l in7.txt || fail "kcat -P (4)"
wait $ko
rc=$?
[ $rc = 65 ] || { cat err7.txt; fail "--ordered bad message: exit $rc, want 65"; }
grep -q 'from a queue of its own' err7.txt || fail "--ordered did not read ks.bado from its own queue"
[ "$(jq -r .pos.offset out7.ndjson | tr '\n' ' ')" = "0 1 2 3 4 " ] ||
	fail "--ordered: want offsets 0-4 before the bad one, got $(jq -r .pos.offset out7.ndjson | tr '\n' ' ')"
"$BIN/ksub" "${KX[@]}" -G g3 --ordered -e ks.bado >out8.ndjson 2>err8.txt
rc=$?
[ $rc = 65 ] && grep -q 'offset 5' err8.txt || { cat err8.txt; fail "--ordered rerun: exit $rc, want 65 at offset 5"; }
echo "ksub-invalid: ok"
