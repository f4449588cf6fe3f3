#!/bin/sh
# Regenerates the RSA test keys of the DNS test environment. They are committed fixtures:
# run this only to replace them, then re-run the selfcheck and the verdict tests.
# Test keys only: never use them for real mail.
set -eu
cd "$(dirname "$0")"
# PKCS#8 private keys ("BEGIN PRIVATE KEY"), as SES BYODKIM documents.
for name_bits in rsa512:512 rsa2048:2048 rsa2048-old:2048 rsa4096:4096; do
    name=${name_bits%%:*}
    bits=${name_bits#*:}
    openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:"$bits" -out "$name.pem"
done
# A PKCS#1 private key ("BEGIN RSA PRIVATE KEY"), the other form users have.
openssl genrsa -traditional -out rsa1024.pem 1024 2>/dev/null
for name in rsa512 rsa1024 rsa2048 rsa2048-old rsa4096; do
    # PEM SubjectPublicKeyInfo ("BEGIN PUBLIC KEY").
    openssl pkey -in "$name.pem" -pubout -out "$name.pub.pem"
    # What goes into p=: base64 of the DER SubjectPublicKeyInfo, one line, no header.
    openssl pkey -in "$name.pem" -pubout -outform DER | base64 -w0 > "$name.pub.b64"
done
chmod 0644 ./*.pem ./*.b64
