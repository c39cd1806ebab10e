#!/usr/bin/env bash
# Makes the certificates of the TLS test broker (broker.sh's tansu-sasl-ssl) with openssl, into DIR:
#   ca.pem                      the CA the clients trust (ca.key signs the others)
#   broker.pem, broker.key      the broker's certificate, for 127.0.0.1 and localhost
#   wrong-host.pem, .key        signed by the CA, but for another host name (wrong.example)
#   other-ca.pem                another CA, which no client trusts
#   other.pem, other.key        a certificate for 127.0.0.1 and localhost, signed by the other CA
#   expired.pem, expired.key    signed by the CA, for 127.0.0.1 and localhost, but expired yesterday
#   client.pem, client.key      a client certificate signed by the CA, for mutual TLS
#   client-encrypted.key        client.key encrypted (PKCS#8, AES-256) with client-key-secret
#   client.p12                  client.pem and client.key in PKCS#12 (not PEM: for error messages)
# EC P-256 keys (fast to make); valid 30 days. Existing files are kept unless --force.
#   certs.sh DIR [--force]
set -euo pipefail

dir=${1:?usage: certs.sh DIR [--force]}
if [ -s "$dir/client.p12" ] && [ "${2:-}" != --force ]; then exit 0; fi
mkdir -p "$dir"
cd "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
days=30

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() { # name subject
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days $days -out "$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

leaf() { # name issuer subject extensions [days]
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$3" -out "$tmp/$1.csr"
  printf '%s\n' "$4" > "$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
    -days "${5:-$days}" -extfile "$tmp/$1.ext" -out "$1.pem" 2>/dev/null
}

server_ext() { printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$1"; }

ca ca "kafka-pipeline test CA"
ca other-ca "another CA"
leaf broker ca "tansu-sasl-ssl" "$(server_ext 'IP:127.0.0.1,DNS:localhost')"
leaf wrong-host ca "wrong.example" "$(server_ext 'DNS:wrong.example')"
leaf other other-ca "tansu-sasl-ssl" "$(server_ext 'IP:127.0.0.1,DNS:localhost')"
leaf expired ca "tansu-sasl-ssl" "$(server_ext 'IP:127.0.0.1,DNS:localhost')" -1
leaf client ca "alice" "$(printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n')"
openssl pkcs8 -topk8 -v2 aes-256-cbc -in client.key -out client-encrypted.key -passout pass:client-key-secret
openssl pkcs12 -export -in client.pem -inkey client.key -out client.p12 -passout pass:client-p12-secret
rm -f ./*.srl
