#!/bin/sh
# placeholder until written: runs the command as is.
exec "$@"
