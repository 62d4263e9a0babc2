#!/usr/bin/env bash
# Makes a certificate authority and one certificate per peer for Kestrel's authenticated zenoh
# network ([zenoh.tls] and [zenoh.access] of the configuration; README "Vehicle network").
#
#   perception/tls/make-certs.sh OUTDIR NAME...
#
# writes OUTDIR/ca.pem and OUTDIR/ca.key (the vehicle's CA: keep ca.key off the vehicle) and,
# for each NAME, OUTDIR/NAME.pem and OUTDIR/NAME.key: an EC P-256 key and a certificate signed by
# the CA whose common name is NAME (the name `[zenoh.access]` gives roles to), valid for both
# TLS server and client authentication (every zenoh peer may listen and connect), for the
# addresses in SAN (default "IP:127.0.0.1,DNS:localhost": set it to the addresses peers dial,
# e.g. SAN="IP:192.168.1.10" for a peer listening there). An existing ca.pem/ca.key in OUTDIR is
# reused, so peers can be added later. Needs the openssl command (Debian package openssl).
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 OUTDIR NAME..." >&2
    exit 2
fi
out=$1
shift
SAN=${SAN:-IP:127.0.0.1,DNS:localhost}
DAYS=${DAYS:-825}
mkdir -p "$out"

if [ ! -f "$out/ca.pem" ] || [ ! -f "$out/ca.key" ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$out/ca.key" -sha256 -days "$DAYS" -subj "/CN=kestrel-vehicle-ca" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$out/ca.pem"
fi

for name in "$@"; do
    case $name in
        ''|*/*|ca) echo "$0: bad peer name '$name'" >&2; exit 2 ;;
    esac
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$name.key" 2>/dev/null
    openssl req -new -key "$out/$name.key" -subj "/CN=$name" -out "$out/$name.csr"
    openssl x509 -req -in "$out/$name.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" \
        -CAcreateserial -sha256 -days "$DAYS" -out "$out/$name.pem" \
        -extfile <(printf '%s\n' \
            "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature" \
            "extendedKeyUsage=serverAuth,clientAuth" \
            "subjectAltName=$SAN") 2>/dev/null
    rm -f "$out/$name.csr"
done
chmod 600 "$out"/*.key
