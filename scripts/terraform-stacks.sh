#!/usr/bin/env bash
# Plans or applies the stacks a review listed (`npm run review -- --stacks-out stacks.json`), one
# stack at a time, in the review's order (an environment's core before its shards), with plain
# terraform on the synthesized JSON in cdktf.out/stacks/<stack>.
#
#   bash scripts/terraform-stacks.sh plan  stacks.json [environment]
#   bash scripts/terraform-stacks.sh apply stacks.json [environment]
#
# One stack at a time and a small -parallelism ($PARALLELISM, default 4): Firehose allows 5
# control-plane calls per second per operation, account and region (a hard limit), and every plan
# refreshes every delivery stream of its stack. See docs/operations.md, "Planning within Firehose's rate".
set -euo pipefail

mode=${1:?usage: terraform-stacks.sh plan|apply <stacks.json> [environment]}
file=${2:?usage: terraform-stacks.sh plan|apply <stacks.json> [environment]}
environment=${3:-}
parallelism=${PARALLELISM:-4}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}

case "$mode" in plan | apply) ;; *) echo "unknown mode $mode (plan or apply)" >&2; exit 2 ;; esac
# Node reads the review's JSON (it is there: npm ci ran), so no jq is needed.
mapfile -t stacks < <(node -e '
  const [file, env] = process.argv.slice(1);
  const { stacks } = JSON.parse(require("fs").readFileSync(file, "utf8"));
  for (const s of stacks) if (env === "" || s.environment === env) console.log(s.id);
' "$file" "$environment")
if [ "${#stacks[@]}" -eq 0 ]; then
  echo "No stack changes${environment:+ in $environment}: nothing to $mode." | tee -a "$summary"
  exit 0
fi

echo "Stacks to $mode, in order: ${stacks[*]}"
for stack in "${stacks[@]}"; do
  dir="cdktf.out/stacks/$stack"
  [ -f "$dir/cdk.tf.json" ] || { echo "$dir/cdk.tf.json does not exist: run npm run synth first" >&2; exit 1; }
  echo "::group::$mode $stack"
  terraform -chdir="$dir" init -input=false
  if [ "$mode" = plan ]; then
    terraform -chdir="$dir" plan -input=false -lock-timeout=5m -parallelism="$parallelism" -no-color | tee "$dir/plan.txt"
    {
      echo "### Plan: \`$stack\`"
      echo
      grep -E '^(Plan:|No changes\.)|must be replaced|will be destroyed|will be imported|will no longer be managed' "$dir/plan.txt" || echo "No plan summary found; see the job log."
      echo
    } >> "$summary"
  else
    terraform -chdir="$dir" apply -input=false -auto-approve -lock-timeout=5m -parallelism="$parallelism"
  fi
  echo "::endgroup::"
done
