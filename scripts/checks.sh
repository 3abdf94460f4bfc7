# Named checks for the shell test scripts (test-package.sh, test-device-kit.sh), sourced after
# setting check_prefix: `check NAME COMMAND...` runs COMMAND and prints "PREFIX: NAME: ok" or
# "FAILED", counting it; `checks_summary` prints "PREFIX: N passed, M failed".
passed=0
failed=0
check() {
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); echo "$check_prefix: $name: ok"; else failed=$((failed + 1)); echo "$check_prefix: $name: FAILED"; fi
}
checks_summary() {
  echo "$check_prefix: $passed passed, $failed failed"
}
