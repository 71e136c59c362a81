#!/bin/sh
# Writes the secrets docker-compose.yml mounts into ./secrets (git-ignored). The folder is yours
# only (0700); the files are 0644 because docker-compose bind-mounts them and the containers read
# them as their own non-root users. Existing files are kept, so re-running never rotates a password
# under a running database.
set -eu
cd "$(dirname "$0")/.."
mkdir -p secrets
chmod 700 secrets
umask 022
random() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
if [ ! -f secrets/postgres_password ]; then
  random > secrets/postgres_password
fi
if [ ! -f secrets/postgres.properties ]; then
  printf 'password=%s\n' "$(cat secrets/postgres_password)" > secrets/postgres.properties
fi
# The gateway's API key for the tenant "default": the raw key for your clients
# (secrets/gateway_api_key), its SHA-256 for the gateway (secrets/gateway_keys; add a line
# "<tenant> <sha256 hex>" per key, the gateway re-reads the file when it changes).
if [ ! -f secrets/gateway_api_key ]; then
  random > secrets/gateway_api_key
fi
if [ ! -f secrets/gateway_keys ]; then
  printf 'default %s\n' "$(tr -d '\n' < secrets/gateway_api_key | sha256sum | cut -d' ' -f1)" > secrets/gateway_keys
fi
# Empty for the simulator; put a real key here for a hosted model.
[ -f secrets/model_api_key ] || : > secrets/model_api_key
ls -l secrets
