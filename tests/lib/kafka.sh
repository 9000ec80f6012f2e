# shellcheck shell=bash
# tests/lib/kafka.sh — a mock Kafka cluster for one test (bin/peers/kafka-cluster).
#
# Sourced by tests/lib/pg.sh (which defines on_exit, TEST_TMP, fail); a test
# may also source this file alone, which sources pg.sh first. Starting a
# cluster needs no PostgreSQL.
#
#   kafka_start [-n BROKERS] [--front] [TOPIC:PARTITIONS[:RF]]...
#       starts the cluster in the background, exports KAFKA_BROKERS (the
#       bootstrap servers), stops it on exit. --front puts the peer's
#       Kafka-protocol fronts before the brokers, which serve CreateTopics
#       (tests/peers/kafka-cluster/front.h).
#   kafka_cmd "down 1"
#       sends one fault command (see tests/peers/kafka-cluster/main.c) and
#       prints the answer; returns 1 unless the answer is "ok".
#   kafka_consume TOPIC [kcat options...]
#       prints every message now in TOPIC as "partition offset key value"
#       lines, sorted by partition and offset (kcat -C -e).
#   kafka_stop
#       stops the cluster (also done on exit).

if ! declare -F on_exit >/dev/null; then
	. "$(dirname "${BASH_SOURCE[0]}")/pg.sh"
	return 0 2>/dev/null || true
fi

: "${KAFKA_PID:=}"
: "${KAFKA_DIR:=}"
: "${KAFKA_FD:=}"

kafka_start() {
	local n=3
	local specs=()
	while [ $# -gt 0 ]; do
		case $1 in
		-n) n=$2; shift 2 ;;
		-n*) n=${1#-n}; shift ;;
		--front) specs+=(--front); shift ;;
		*) specs+=(-t "$1"); shift ;;
		esac
	done
	local exe="$BIN/peers/kafka-cluster"
	[ -x "$exe" ] || { echo "skip: $exe not built" >&2; exit 77; }
	KAFKA_DIR=$(mktemp -d "${TEST_TMP:-/tmp}/kafka.XXXXXX")
	mkfifo "$KAFKA_DIR/in"
	# Read-write open of a FIFO does not block, and holding it keeps the
	# cluster's stdin from ever reaching end-of-file.
	exec {KAFKA_FD}<>"$KAFKA_DIR/in"
	"$exe" -n "$n" "${specs[@]}" <"$KAFKA_DIR/in" >"$KAFKA_DIR/out" 2>"$KAFKA_DIR/err" &
	KAFKA_PID=$!
	on_exit "kafka_stop"
	for _ in $(seq 1 200); do
		if [ -s "$KAFKA_DIR/out" ] && [ "$(wc -l <"$KAFKA_DIR/out")" -ge 1 ]; then
			break
		fi
		kill -0 "$KAFKA_PID" 2>/dev/null || { cat "$KAFKA_DIR/err" >&2; fail "kafka-cluster exited"; }
		sleep 0.05
	done
	KAFKA_BROKERS=$(head -n 1 "$KAFKA_DIR/out")
	[ -n "$KAFKA_BROKERS" ] || fail "kafka-cluster printed no bootstrap servers"
	export KAFKA_BROKERS
}

kafka_cmd() {
	[ -n "$KAFKA_PID" ] || fail "kafka_cmd: no cluster started"
	local before after
	before=$(wc -l <"$KAFKA_DIR/out")
	printf '%s\n' "$*" >&"$KAFKA_FD"
	for _ in $(seq 1 400); do
		after=$(wc -l <"$KAFKA_DIR/out")
		if [ "$after" -gt "$before" ]; then
			local ans
			ans=$(sed -n "$((before + 1))p" "$KAFKA_DIR/out")
			echo "$ans"
			[ "$ans" = ok ]
			return
		fi
		sleep 0.025
	done
	echo "error no answer from kafka-cluster"
	return 1
}

kafka_consume() {
	local topic=$1
	shift
	kcat -b "$KAFKA_BROKERS" -C -e -q -t "$topic" -f '%p %o %k %s\n' "$@" | sort -k1,1n -k2,2n
}

kafka_stop() {
	[ -n "$KAFKA_PID" ] || return 0
	kill "$KAFKA_PID" 2>/dev/null
	wait "$KAFKA_PID" 2>/dev/null
	KAFKA_PID=
	if [ -n "$KAFKA_FD" ]; then
		exec {KAFKA_FD}>&-
		KAFKA_FD=
	fi
	return 0
}

# kafka_gen_records N [TABLES=3] [KEYS=50] [STREAM=pg/d/slot] [DB=d]
#   prints N change records (NDJSON) for tables s.t0 … over KEYS ids each:
#   the first change of a row inserts it, later ones update it, and every
#   fifth change of a row deletes it. Three changes per transaction; offsets
#   grow along the stream; each value "rI" names its input line I.
kafka_gen_records() {
	awk -v n="$1" -v tables="${2:-3}" -v keys="${3:-50}" -v stream="${4:-pg/d/slot}" \
		-v db="${5:-d}" 'BEGIN {
		for (i = 1; i <= n; i++) {
			t = i % tables
			id = int((i * 7919) / tables) % keys + 1
			k = t SUBSEP id
			touches[k]++
			lsn = sprintf("0/%X", 16777216 + int((i - 1) / 3) * 256)
			seq = (i - 1) % 3 + 1
			head = "{\"v\":1,\"op\":\"%s\",\"db\":\"" db "\",\"schema\":\"s\",\"table\":\"t" t "\"," \
				"\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"v\",\"type\":\"text\"}]," \
				"\"key\":[\"id\"],"
			tail = ",\"src\":{\"lsn\":\"" lsn "\",\"xid\":" (700 + int((i - 1) / 3)) \
				",\"ts\":\"2026-11-25T13:58:45.123456Z\",\"seq\":" seq "}," \
				"\"pos\":{\"stream\":\"" stream "\",\"offset\":\"" lsn ":" seq "\"}}"
			if (!(k in live)) {
				live[k] = 1
				printf head "\"after\":{\"id\":%d,\"v\":\"r%d\"}" tail "\n", "c", id, i
			} else if (touches[k] % 5 == 0) {
				delete live[k]
				printf head "\"before\":{\"id\":%d}" tail "\n", "d", id
			} else {
				printf head "\"after\":{\"id\":%d,\"v\":\"r%d\"}" tail "\n", "u", id, i
			}
		}
	}'
}

# kafka_dump TOPIC... : every message of the topics but kpub's watermarks
#   (key dbrepl-watermark), in partition/offset order, as
#   "topic<TAB>partition<TAB>offset<TAB>key<TAB>headers<TAB>value"
#   with key normalised by jq and headers "op=…,lsn=…".
kafka_dump() {
	local t
	for t in "$@"; do
		kcat -b "$KAFKA_BROKERS" -C -e -q -t "$t" -J 2>/dev/null
	done | jq -r 'select(.payload != null and .key != "dbrepl-watermark") |
		[.topic, (.partition|tostring), (.offset|tostring),
		 (.key | fromjson | tojson),
		 ((.headers // []) as $h | [range(0; $h|length; 2) | "\($h[.])=\($h[.+1])"] | join(",")),
		 .payload] | join("\t")' | sort -t"$(printf '\t')" -k1,1 -k2,2n -k3,3n
}

# kafka_expect FILE : what kafka_dump should show for the records in FILE,
#   as "topic<TAB>key<TAB>headers<TAB>value" in input order.
kafka_expect() {
	jq -R -r '. as $line | fromjson |
		[(.db + "." + .schema + "." + .table),
		 ({id: ((.after // .before).id)} | tojson),
		 "op=\(.op),lsn=\(.src.lsn)", $line] | join("\t")' "$1"
}
