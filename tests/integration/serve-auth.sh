#!/bin/bash
. "$(dirname "$0")/lib.sh"
t_skip_all "not written yet"
