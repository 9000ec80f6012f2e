#!/usr/bin/env bash
# The Docker Compose recipe cannot run here (no Docker engine); check what can
# be checked: the compose file parses as YAML and names the three services,
# and every command the script runs exists (or is built by the project).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$top/examples/compose
python3 - "$dir/docker-compose.yml" <<'PY' || exit 1
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
svc = doc["services"]
for name in ("postgres", "kafka1", "kafka2", "kafka3", "mssql"):
    assert name in svc, f"service {name} missing"
assert "wal_level=logical" in svc["postgres"]["command"], "postgres without logical decoding"
assert svc["postgres"]["image"].startswith("postgres:16")
assert svc["mssql"]["image"].endswith("server:2022-latest")
import base64, re
ids = set()
for k in ("kafka1", "kafka2", "kafka3"):
    env = svc[k]["environment"]
    assert "controller" in env["KAFKA_PROCESS_ROLES"], f"{k} not in KRaft mode"
    # kafka-storage format takes a UUID in base64url without padding
    cid = str(env["CLUSTER_ID"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cid) and len(base64.urlsafe_b64decode(cid + "==")) == 16, \
        f"{k}: CLUSTER_ID {cid!r} is not a 22-character base64url UUID"
    ids.add(cid)
assert len(ids) == 1, "the brokers name different clusters"
print("compose file ok")
PY
bash -n "$dir/run.sh" || { echo "FAIL: run.sh does not parse"; exit 1; }
for c in make docker psql pg_isready tsql; do
	case $c in docker) continue ;; esac   # the one thing this machine cannot have
	command -v "$c" >/dev/null || { echo "FAIL: run.sh needs $c"; exit 1; }
done
for p in wwi-gen; do [ -x "$BIN/$p" ] || { echo "FAIL: $p not built"; exit 1; }; done
for s in stream.sh; do [ -x "$top/examples/$s" ] || { echo "FAIL: examples/$s missing"; exit 1; }; done
echo "compose recipe ok"
