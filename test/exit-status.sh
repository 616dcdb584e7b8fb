#!/bin/sh
# Runs its arguments as a command, then prints `exit=<status>` on stdout.
# A crash shows as exit=134 (abort) or exit=139 (segfault), never exit=1.
"$@"
echo "exit=$?"
