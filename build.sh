#!/usr/bin/env bash
# Bootstrap for build.cake: restores the local Cake tool and passes every argument through.
# Examples: ./build.sh                  (build + tests, TRX in artifacts/test-results/dotgrad.trx)
#           ./build.sh --target=Bench --suite='*Gemm*'
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet tool restore
dotnet cake build.cake "$@"
