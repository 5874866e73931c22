#!/usr/bin/env bash
# Distributed load on Kubernetes with the k6-operator (https://github.com/grafana/k6-operator):
#   infra/k8s/load/run.sh [scenario] [parallelism]      e.g. infra/k8s/load/run.sh peak 8
# Packs load-tests/k6/checkout.ts with its flow and the scenario into a k6 archive, stores it
# in ConfigMap k6-checkout, and (re)creates TestRun `checkout` with that parallelism.
# Needs: k6, kubectl pointing at the cluster, the k6-operator installed.
set -euo pipefail
cd "$(dirname "$0")/../../.."
scenario="${1:-smoke}"
parallelism="${2:-4}"
namespace="${NAMESPACE:-checkout-lab}"
[[ "$parallelism" =~ ^[1-9][0-9]*$ ]] || { echo "parallelism must be a positive integer, got '$parallelism'" >&2; exit 2; }
[[ -f "load-tests/scenarios/$scenario.json" ]] || { echo "no scenario load-tests/scenarios/$scenario.json" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
SCENARIO="$scenario" k6 archive --env SCENARIO="$scenario" -O "$work/archive.tar" load-tests/k6/checkout.ts
kubectl -n "$namespace" create configmap k6-checkout --from-file=archive.tar="$work/archive.tar" \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$namespace" delete testrun checkout --ignore-not-found
sed -e "s/^  parallelism: .*/  parallelism: $parallelism/" \
    -e "/name: SCENARIO/{n;s/value: .*/value: $scenario/}" \
    infra/k8s/load/testrun.yaml | kubectl -n "$namespace" apply -f -
echo "TestRun checkout: scenario $scenario, $parallelism runners. Follow: kubectl -n $namespace get testrun checkout -w"
