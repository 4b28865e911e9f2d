#!/usr/bin/env bash
# deploy/kafka/create-topics.sh — creates every Kafka topic vigild uses, with its configs.
# Idempotent: missing topics are created; existing ones get their configs set again where
# they differ; a partition count or replication factor that differs is reported, never
# changed (adding partitions re-maps keys and breaks the co-partitioning of the inputs).
#
# Usage: deploy/kafka/create-topics.sh [options]
#   -b, --bootstrap HOST:PORT  brokers ($KAFKA_BOOTSTRAP, default 127.0.0.1:9092)
#   -p, --partitions N         partitions of every topic ($VIGIL_TOPIC_PARTITIONS, default 12);
#                              the three inputs and commands must share one count
#   -r, --replication N        replication factor ($VIGIL_TOPIC_REPLICATION, default 3)
#       --min-isr N            min.insync.replicas (default 2 when replication >= 3, else 1)
#       --retention-ms MS      inputs and commands (default 604800000 = 7 days)
#       --output-retention-ms MS   warnings, warnings JSON, command results (default 7 days)
#       --dead-letter-retention-ms MS  dead-letter topic (default 2592000000 = 30 days)
#   -c, --config FILE          topic names from a vigild config (needs python3 with PyYAML)
#       --prefix P             prepend P to every topic name (test namespaces)
#       --no-warnings-json     skip the JSON mirror of the warnings topic (without --config
#                              it is created as vigil.warnings-json.v1)
#       --command-config FILE  client properties for the admin tools (TLS, SASL)
#       --kafka-bin DIR        directory holding kafka-topics.sh and kafka-configs.sh
#       --dry-run              print what would run; contact no broker
#   -h, --help
#
# Admin tools, first found: --kafka-bin; $KAFKA_HOME/bin; kafka-topics.sh (or kafka-topics)
# on PATH; else the jars tools/setup fetched, ${VIGIL_CACHE:-~/.cache/vigil}/kafka-current/libs
# ($KAFKA_LIBS overrides), run as `java -cp "LIBS/*" org.apache.kafka.tools.TopicCommand`
# and `kafka.admin.ConfigCommand` (Kafka 3.9).
# Exit status: 0 all topics as specified; 1 an error or a difference it does not fix; 2 usage.
set -euo pipefail

die() { echo "create-topics: error: $*" >&2; exit 1; }
usage_error() { echo "create-topics: $*" >&2; echo "try --help" >&2; exit 2; }
say() { echo "create-topics: $*" >&2; }

BOOTSTRAP="${KAFKA_BOOTSTRAP:-127.0.0.1:9092}"
PARTITIONS="${VIGIL_TOPIC_PARTITIONS:-12}"
REPLICATION="${VIGIL_TOPIC_REPLICATION:-3}"
MIN_ISR=""
INPUT_RETENTION_MS=604800000
OUTPUT_RETENTION_MS=604800000
DEAD_LETTER_RETENTION_MS=2592000000
CONFIG_FILE=""
PREFIX=""
WARNINGS_JSON=1
COMMAND_CONFIG=""
KAFKA_BIN=""
DRY_RUN=0

need_value() { if (($# < 2)) || [[ -z "$2" ]]; then usage_error "$1 needs a value"; fi; }
while (($# > 0)); do
  case "$1" in
    -b|--bootstrap) need_value "$@"; BOOTSTRAP="$2"; shift 2 ;;
    -p|--partitions) need_value "$@"; PARTITIONS="$2"; shift 2 ;;
    -r|--replication) need_value "$@"; REPLICATION="$2"; shift 2 ;;
    --min-isr) need_value "$@"; MIN_ISR="$2"; shift 2 ;;
    --retention-ms) need_value "$@"; INPUT_RETENTION_MS="$2"; shift 2 ;;
    --output-retention-ms) need_value "$@"; OUTPUT_RETENTION_MS="$2"; shift 2 ;;
    --dead-letter-retention-ms) need_value "$@"; DEAD_LETTER_RETENTION_MS="$2"; shift 2 ;;
    -c|--config) need_value "$@"; CONFIG_FILE="$2"; shift 2 ;;
    --prefix) need_value "$@"; PREFIX="$2"; shift 2 ;;
    --no-warnings-json) WARNINGS_JSON=0; shift ;;
    --command-config) need_value "$@"; COMMAND_CONFIG="$2"; shift 2 ;;
    --kafka-bin) need_value "$@"; KAFKA_BIN="$2"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

is_count() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }
is_count "$PARTITIONS" || usage_error "--partitions must be a positive number, got '$PARTITIONS'"
is_count "$REPLICATION" || usage_error "--replication must be a positive number, got '$REPLICATION'"
if [[ -z "$MIN_ISR" ]]; then
  if ((REPLICATION >= 3)); then MIN_ISR=2; else MIN_ISR=1; fi
fi
is_count "$MIN_ISR" || usage_error "--min-isr must be a positive number, got '$MIN_ISR'"
((MIN_ISR <= REPLICATION)) || usage_error "--min-isr ($MIN_ISR) exceeds --replication ($REPLICATION)"
for v in "$INPUT_RETENTION_MS" "$OUTPUT_RETENTION_MS" "$DEAD_LETTER_RETENTION_MS"; do
  [[ "$v" =~ ^(-1|[1-9][0-9]*)$ ]] || usage_error "retention must be milliseconds or -1, got '$v'"
done
[[ "$BOOTSTRAP" =~ ^[^,[:space:]]+:[0-9]+(,[^,[:space:]]+:[0-9]+)*$ ]] \
  || usage_error "--bootstrap must be host:port[,host:port...], got '$BOOTSTRAP'"
[[ -z "$COMMAND_CONFIG" || -r "$COMMAND_CONFIG" ]] || die "cannot read --command-config $COMMAND_CONFIG"

# ---- topic names: vigild's defaults (processors/vigild/config.h), or from its config ----
# role|name — the role decides the configs.
TOPICS=()
if [[ -n "$CONFIG_FILE" ]]; then
  [[ -r "$CONFIG_FILE" ]] || die "cannot read --config $CONFIG_FILE"
  command -v python3 >/dev/null || die "--config needs python3 (with PyYAML)"
  names="$(python3 - "$CONFIG_FILE" <<'PY'
import sys
try:
    import yaml
except ImportError:
    sys.exit("--config needs PyYAML (Debian: python3-yaml)")
with open(sys.argv[1]) as f:
    root = yaml.safe_load(f) or {}
topics = root.get("topics") or {}
ref = root.get("reference") or {}

def name(node, default):
    if node is None:
        return default
    if isinstance(node, dict):
        return node.get("name", default)
    return "" if node is None else str(node)

# Defaults as in processors/vigild/config.h.
rows = [
    ("input", name(topics.get("tickets"), "vigil.tickets.v1")),
    ("input", name(topics.get("outages"), "vigil.outages.v1")),
    ("input", name(topics.get("repeat_calls"), "vigil.repeat-calls.v1")),
    ("input", name(topics.get("commands"), "vigil.commands.v1")),
    ("reference", name(ref.get("topic"), "vigil.reference.v1")),
    ("output", name(topics.get("warnings"), "vigil.warnings.v1")),
    ("output", name(topics.get("warnings_json"), "")),
    ("output", name(topics.get("command_results"), "vigil.command-results.v1")),
    ("dead_letter", name(topics.get("dead_letter"), "vigil.dead-letter.v1")),
]
for role, n in rows:
    if n:
        print(f"{role}|{n}")
PY
)" || die "could not read topic names from $CONFIG_FILE"
  mapfile -t TOPICS <<<"$names"
else
  TOPICS=(
    "input|vigil.tickets.v1"
    "input|vigil.outages.v1"
    "input|vigil.repeat-calls.v1"
    "input|vigil.commands.v1"
    "reference|vigil.reference.v1"
    "output|vigil.warnings.v1"
    "output|vigil.warnings-json.v1"
    "output|vigil.command-results.v1"
    "dead_letter|vigil.dead-letter.v1"
  )
fi
if ((WARNINGS_JSON == 0)); then
  kept=()
  for t in "${TOPICS[@]}"; do [[ "$t" == *warnings-json* ]] || kept+=("$t"); done
  TOPICS=("${kept[@]}")
fi
for i in "${!TOPICS[@]}"; do
  TOPICS[i]="${TOPICS[i]%%|*}|$PREFIX${TOPICS[i]#*|}"
  n="${TOPICS[i]#*|}"
  [[ "$n" =~ ^[A-Za-z0-9._-]{1,249}$ ]] || die "invalid topic name '$n'"
done

# The configs each role gets (cleanup.policy is always explicit: a broker default of
# compact or delete must not decide it).
configs_for() {
  case "$1" in
    input) echo "cleanup.policy=delete retention.ms=$INPUT_RETENTION_MS min.insync.replicas=$MIN_ISR" ;;
    output) echo "cleanup.policy=delete retention.ms=$OUTPUT_RETENTION_MS min.insync.replicas=$MIN_ISR" ;;
    reference) echo "cleanup.policy=compact min.insync.replicas=$MIN_ISR" ;;
    dead_letter) echo "cleanup.policy=delete retention.ms=$DEAD_LETTER_RETENTION_MS min.insync.replicas=$MIN_ISR" ;;
    *) die "internal: unknown role $1" ;;
  esac
}

# ---- admin tools ----
TOPICS_CMD=()
CONFIGS_CMD=()
if [[ -z "$KAFKA_BIN" && -n "${KAFKA_HOME:-}" && -x "$KAFKA_HOME/bin/kafka-topics.sh" ]]; then
  KAFKA_BIN="$KAFKA_HOME/bin"
fi
if [[ -n "$KAFKA_BIN" ]]; then
  [[ -x "$KAFKA_BIN/kafka-topics.sh" && -x "$KAFKA_BIN/kafka-configs.sh" ]] \
    || die "$KAFKA_BIN has no kafka-topics.sh / kafka-configs.sh"
  TOPICS_CMD=("$KAFKA_BIN/kafka-topics.sh")
  CONFIGS_CMD=("$KAFKA_BIN/kafka-configs.sh")
elif command -v kafka-topics.sh >/dev/null && command -v kafka-configs.sh >/dev/null; then
  TOPICS_CMD=(kafka-topics.sh)
  CONFIGS_CMD=(kafka-configs.sh)
elif command -v kafka-topics >/dev/null && command -v kafka-configs >/dev/null; then
  TOPICS_CMD=(kafka-topics)   # Confluent and some distributions drop the .sh
  CONFIGS_CMD=(kafka-configs)
else
  LIBS="${KAFKA_LIBS:-${VIGIL_CACHE:-$HOME/.cache/vigil}/kafka-current/libs}"
  if [[ -d "$LIBS" ]] && command -v java >/dev/null; then
    LOG4J="$(mktemp "${TMPDIR:-/tmp}/create-topics-log4j.XXXXXX")"
    trap 'rm -f "$LOG4J"' EXIT
    cat >"$LOG4J" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
    JAVA=(java -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
          "-Dlog4j.configuration=file:$LOG4J" -cp "$LIBS/*")
    TOPICS_CMD=("${JAVA[@]}" org.apache.kafka.tools.TopicCommand)
    CONFIGS_CMD=("${JAVA[@]}" kafka.admin.ConfigCommand)
  elif ((DRY_RUN)); then
    TOPICS_CMD=(kafka-topics.sh)
    CONFIGS_CMD=(kafka-configs.sh)
  else
    die "no Kafka admin tools: set --kafka-bin or KAFKA_HOME, put kafka-topics.sh on PATH, or run tools/setup (jars in $LIBS)"
  fi
fi
ADMIN_ARGS=(--bootstrap-server "$BOOTSTRAP")
[[ -n "$COMMAND_CONFIG" ]] && ADMIN_ARGS+=(--command-config "$COMMAND_CONFIG")

show() { printf '%q ' "$@" | sed 's/ $//'; echo; }

create_args() {  # role name
  local args=("${ADMIN_ARGS[@]}" --create --if-not-exists --topic "$2" --partitions "$PARTITIONS"
              --replication-factor "$REPLICATION") c
  for c in $(configs_for "$1"); do args+=(--config "$c"); done
  printf '%s\n' "${args[@]}"
}

alter_args() {  # role name
  local cfg
  cfg="$(configs_for "$1" | tr ' ' ',')"
  printf '%s\n' "${ADMIN_ARGS[@]}" --alter --entity-type topics --entity-name "$2" --add-config "$cfg"
}

if ((DRY_RUN)); then
  say "dry run: nothing is changed; these commands would run (configs only where they differ)"
  for t in "${TOPICS[@]}"; do
    mapfile -t a < <(create_args "${t%%|*}" "${t#*|}")
    show "${TOPICS_CMD[@]}" "${a[@]}"
    mapfile -t a < <(alter_args "${t%%|*}" "${t#*|}")
    show "${CONFIGS_CMD[@]}" "${a[@]}"
  done
  exit 0
fi

# ---- 1. create the missing topics ----
existing="$("${TOPICS_CMD[@]}" "${ADMIN_ARGS[@]}" --list)" \
  || die "cannot list topics at $BOOTSTRAP (is the broker up? --bootstrap)"
declare -A CREATED=()
for t in "${TOPICS[@]}"; do
  role="${t%%|*}" name="${t#*|}"
  if grep -qxF -- "$name" <<<"$existing"; then continue; fi
  mapfile -t a < <(create_args "$role" "$name")
  "${TOPICS_CMD[@]}" "${a[@]}" >/dev/null || die "creating topic $name failed"
  CREATED[$name]=1
done

# ---- 2. describe every topic once; report and fix what differs ----
regex=""
for t in "${TOPICS[@]}"; do
  n="${t#*|}"
  regex+="${regex:+|}${n//./\\.}"
done
described="$("${TOPICS_CMD[@]}" "${ADMIN_ARGS[@]}" --describe --topic "$regex")" \
  || die "cannot describe the topics at $BOOTSTRAP"

# Prints "partitions replication configs" of topic $1 from the describe output; the
# summary line is "Topic: N<TAB>TopicId: ..<TAB>PartitionCount: P<TAB>ReplicationFactor: R<TAB>Configs: k=v,..".
summary_of() {
  awk -F'\t' -v topic="$1" '
    $1 == "Topic: " topic {
      p = r = c = ""
      for (i = 2; i <= NF; i++) {
        if ($i ~ /^PartitionCount: /) p = substr($i, 17)
        else if ($i ~ /^ReplicationFactor: /) r = substr($i, 20)
        else if ($i ~ /^Configs: ?/) { c = $i; sub(/^Configs: ?/, "", c) }
      }
      print p, r, c
      exit
    }' <<<"$described"
}

failed=0
declare -A PARTS=()
for t in "${TOPICS[@]}"; do
  role="${t%%|*}" name="${t#*|}"
  read -r parts repl current <<<"$(summary_of "$name")"
  if [[ -z "$parts" ]]; then
    say "MISSING  $name: not in the describe output after creation"
    failed=1
    continue
  fi
  PARTS[$name]="$parts"
  state="exists "
  [[ -n "${CREATED[$name]:-}" ]] && state="created"
  notes=""
  if [[ "$parts" != "$PARTITIONS" ]]; then
    notes+=" partitions $parts != $PARTITIONS (not changed: adding partitions re-maps keys; recreate the topic or pass --partitions $parts)"
    failed=1
  fi
  if [[ "$repl" != "$REPLICATION" ]]; then
    notes+=" replication $repl != $REPLICATION (not changed: use kafka-reassign-partitions)"
    failed=1
  fi
  # Set the configs that differ from the wanted ones.
  wanted="$(configs_for "$role")"
  differ=()
  for kv in $wanted; do
    grep -qE "(^|,)${kv//./\\.}(,|$)" <<<"$current" || differ+=("$kv")
  done
  if ((${#differ[@]} > 0)); then
    mapfile -t a < <(alter_args "$role" "$name")
    if "${CONFIGS_CMD[@]}" "${a[@]}" >/dev/null; then
      notes+=" configs set: ${differ[*]}"
    else
      notes+=" FAILED to set configs: ${differ[*]}"
      failed=1
    fi
  fi
  printf '%s  %-40s %s partitions, replication %s, %s%s\n' "$state" "$name" "$parts" "$repl" \
    "$(tr ' ' ',' <<<"$wanted")" "$notes"
done

# The inputs (and commands) are co-partitioned by city code: one partition count.
input_parts=""
for t in "${TOPICS[@]}"; do
  [[ "${t%%|*}" == input ]] || continue
  p="${PARTS[${t#*|}]:-}"
  [[ -z "$p" ]] && continue
  if [[ -z "$input_parts" ]]; then
    input_parts="$p"
  elif [[ "$p" != "$input_parts" ]]; then
    say "input topics differ in partition count ($p vs $input_parts): they must be co-partitioned"
    failed=1
  fi
done

if ((failed)); then
  say "done, with differences or errors (above)"
  exit 1
fi
say "all ${#TOPICS[@]} topics as specified at $BOOTSTRAP"
