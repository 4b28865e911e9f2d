#!/usr/bin/env bash
# deploy/kafka/create-topics.sh against Apache Kafka on 127.0.0.1 (ctest
# integration.create_topics). Topic names come from a vigild config written here, under a
# prefix unique to this run, so the test never touches another test's topics and can run
# any number of times. It checks, with TopicCommand --describe:
#   - every topic exists with the partition count asked for;
#   - the reference topic is compacted, the others delete with their retention;
#   - a second run changes nothing and succeeds; a run asking for other partitions fails.
# Broker: $KAFKA_BOOTSTRAP (tools/test sets it), else tools/kafka-dev's (started if needed
# and then stopped again).
set -euo pipefail

ROOT="${VIGIL_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SCRIPT="$ROOT/deploy/kafka/create-topics.sh"
LIBS="${KAFKA_LIBS:-${VIGIL_CACHE:-$HOME/.cache/vigil}/kafka-current/libs}"

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== create_topics_test: $*"; }

[[ -d "$LIBS" ]] || fail "Kafka jars not found in $LIBS (run tools/setup)"

started=0
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vigil-create-topics.XXXXXX")"
PREFIX="it-$(date +%s)-$$."
BOOTSTRAP="${KAFKA_BOOTSTRAP:-}"

topic_cmd() {
  java -Xmx256m -XX:TieredStopAtLevel=1 -cp "$LIBS/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$BOOTSTRAP" "$@" 2>"$WORK/tool.err"
}

cleanup() {
  local rc=$?
  if [[ -n "$BOOTSTRAP" ]]; then
    topic_cmd --delete --topic "${PREFIX//./\\.}.*" >/dev/null || true
  fi
  if ((started)); then "$ROOT/tools/kafka-dev" stop >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

if [[ -z "$BOOTSTRAP" ]]; then
  if ! "$ROOT/tools/kafka-dev" status 2>/dev/null; then
    started=1
  fi
  BOOTSTRAP="$("$ROOT/tools/kafka-dev" start | tail -n 1)"
fi
[[ "$BOOTSTRAP" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "the broker must be on 127.0.0.1, got '$BOOTSTRAP'"
step "broker $BOOTSTRAP, topic prefix $PREFIX"

# A vigild config naming every topic, two of them not by their default names.
cat >"$WORK/vigil.yaml" <<'EOF'
kafka: {brokers: 127.0.0.1:9092}
topics:
  tickets: {name: t.tickets, format: json}
  outages: t.outages
  repeat_calls: t.repeat-calls
  warnings: t.warnings
  warnings_json: t.warnings-json
  dead_letter: t.dead-letter
  commands: {name: t.commands}
  command_results: t.command-results
state: {path: /tmp/unused}
reference: {topic: {name: t.reference, format: json}}
EOF
names=(t.tickets t.outages t.repeat-calls t.commands t.reference t.warnings t.warnings-json
       t.command-results t.dead-letter)

run() {  # partitions; output to $WORK/run.out, returns the script's exit status
  "$SCRIPT" --bootstrap "$BOOTSTRAP" --partitions "$1" --replication 1 --prefix "$PREFIX" \
    --config "$WORK/vigil.yaml" >"$WORK/run.out" 2>&1
}

step "first run creates every topic"
run 2 || { cat "$WORK/run.out"; fail "first run failed"; }
cat "$WORK/run.out"
[[ "$(grep -c '^created ' "$WORK/run.out")" == "${#names[@]}" ]] \
  || fail "expected ${#names[@]} topics created"

step "second run changes nothing"
run 2 || { cat "$WORK/run.out"; fail "second run failed"; }
cat "$WORK/run.out"
[[ "$(grep -c '^exists ' "$WORK/run.out")" == "${#names[@]}" ]] \
  || fail "expected ${#names[@]} topics to exist already"
grep -q 'configs set' "$WORK/run.out" && fail "second run altered configs"

step "describe"
topic_cmd --describe --topic "${PREFIX//./\\.}.*" >"$WORK/describe.out" \
  || { cat "$WORK/tool.err"; fail "describe failed"; }
summary() {  # topic -> its summary line
  grep -P "^Topic: \Q$PREFIX$1\E\t" "$WORK/describe.out" || fail "topic $PREFIX$1 not described"
}
for n in "${names[@]}"; do
  line="$(summary "$n")"
  grep -qP '\tPartitionCount: 2\t' <<<"$line" || fail "$n: partitions not 2: $line"
  grep -qP '\tReplicationFactor: 1\t' <<<"$line" || fail "$n: replication not 1: $line"
  grep -qE '[ ,]min\.insync\.replicas=1(,|$)' <<<"$line" || fail "$n: min.insync.replicas: $line"
  case "$n" in
    t.reference)
      grep -qE '[ ,]cleanup\.policy=compact(,|$)' <<<"$line" || fail "$n not compacted: $line" ;;
    t.dead-letter)
      grep -qE '[ ,]cleanup\.policy=delete(,|$)' <<<"$line" || fail "$n: cleanup.policy: $line"
      grep -qE '[ ,]retention\.ms=2592000000(,|$)' <<<"$line" || fail "$n: retention: $line" ;;
    *)
      grep -qE '[ ,]cleanup\.policy=delete(,|$)' <<<"$line" || fail "$n: cleanup.policy: $line"
      grep -qE '[ ,]retention\.ms=604800000(,|$)' <<<"$line" || fail "$n: retention: $line" ;;
  esac
done
[[ "$(grep -c '^Topic: ' "$WORK/describe.out")" == "${#names[@]}" ]] \
  || fail "expected exactly ${#names[@]} topics under $PREFIX"

step "a run asking for 3 partitions reports the difference and fails"
if run 3; then cat "$WORK/run.out"; fail "a partition difference was not reported"; fi
grep -q 'partitions 2 != 3' "$WORK/run.out" || { cat "$WORK/run.out"; fail "no partition report"; }

step "passed"
