#!/bin/sh
# The image's entry point: the first argument picks the role. Services start with the
# OpenTelemetry preload, so the SDK is running before NestJS loads.
set -eu
cd /app
role="${1:-cart}"
case "$role" in
  cart | payment | billing-address)
    exec node -r @swc-node/register -r ./libs/telemetry/src/preload.ts "services/$role/src/main.ts"
    ;;
  checkout-lab)
    shift
    exec node -r @swc-node/register apps/checkout-lab/src/main.ts "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
