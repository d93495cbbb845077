#!/usr/bin/env bash
# Makes the certificates for a test or a trial deployment of Runnel's TLS listeners in DIR:
#   ca.pem, ca.key          a CA (10 years) that signs the other two
#   broker.pem, broker.key  the broker's certificate, for 127.0.0.1 and localhost (and $BROKER_HOSTS)
#   client.pem, client.key  a client certificate (mTLS), subject CN=client,O=Runnel
# Usage: scripts/gen-certs.sh DIR  (BROKER_HOSTS="broker1.example 10.0.0.5" adds names or IPs to
# the broker's SAN). Keys are unencrypted ECDSA P-256; never use these for anything that matters
# without reading docs/security.md.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
days=${CERT_DAYS:-825}
mkdir -p "$dir"
cd "$dir"

san="IP:127.0.0.1,DNS:localhost"
for host in ${BROKER_HOSTS:-}; do
  if [[ $host =~ ^[0-9.]+$ || $host == *:* ]]; then san="$san,IP:$host"; else san="$san,DNS:$host"; fi
done

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 3650 -subj "/O=Runnel/CN=Runnel test CA" \
  -keyout ca.key -out ca.pem 2>/dev/null

# sign NAME SUBJECT EXTENSIONS: NAME.key and NAME.pem signed by the CA.
sign() {
  local name=$1 subject=$2 extensions=$3
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -subj "$subject" -keyout "$name.key" -out "$name.csr" 2>/dev/null
  printf '%s\n' "$extensions" >"$name.ext"
  openssl x509 -req -sha256 -days "$days" -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
    -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

sign broker "/O=Runnel/CN=localhost" "subjectAltName=$san
extendedKeyUsage=serverAuth
keyUsage=digitalSignature"
sign client "/O=Runnel/OU=Clients/CN=client" "extendedKeyUsage=clientAuth
keyUsage=digitalSignature"
rm -f ca.srl
chmod 600 ./*.key
echo "wrote ca.pem, broker.pem/.key (SAN $san) and client.pem/.key to $(pwd)"
