//! Cryptographic primitives for `crypto.subtle` and `node:crypto` (js/subtle.js,
//! js/node/crypto.js): RustCrypto crates, bytes in and bytes out.
//!
//! They run inside the guest, not in the host: their CPU time is the script's own and counts
//! against its CPU limit (an RSA key generation or a million PBKDF2 rounds cannot make the host
//! work for free), keys never leave the sandbox's memory, and the host's interface stays as small
//! as it was. JS keeps keys as bytes (EC scalars and points, Ed25519 seeds, RSA PKCS#8/SPKI DER)
//! and does the Web Crypto bookkeeping (algorithms, usages, formats).
//!
//! Errors reach JS as `TypeError`s whose message starts with the `DOMException` name the spec
//! wants in brackets (`[OperationError] ...`); subtle.js turns them into DOMExceptions.

use javy::quickjs::{function::Opt, Ctx, Exception, Function, Object, Result, TypedArray, Value};

use crate::natives::bytes_of;

type Bytes<'js> = TypedArray<'js, u8>;

/// The randomness source for key generation, signatures and padding: the host's (WASI random).
struct HostRng;

impl rand_core::RngCore for HostRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        getrandom::fill(dest).expect("the host's random source failed");
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> std::result::Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl rand_core::CryptoRng for HostRng {}

fn fail<T>(ctx: &Ctx<'_>, name: &str, message: impl std::fmt::Display) -> Result<T> {
    Err(Exception::throw_type(ctx, &format!("[{name}] {message}")))
}

fn out<'js>(ctx: &Ctx<'js>, bytes: impl Into<Vec<u8>>) -> Result<Bytes<'js>> {
    TypedArray::new(ctx.clone(), bytes.into())
}

/// Run `$body` with `$H` bound to the digest type named by `$name` (Web Crypto's spelling).
macro_rules! with_hash {
    ($ctx:expr, $name:expr, $H:ident => $body:expr) => {
        match $name {
            "SHA-1" => {
                type $H = sha1::Sha1;
                $body
            }
            "SHA-256" => {
                type $H = sha2::Sha256;
                $body
            }
            "SHA-384" => {
                type $H = sha2::Sha384;
                $body
            }
            "SHA-512" => {
                type $H = sha2::Sha512;
                $body
            }
            "MD5" => {
                type $H = md5::Md5;
                $body
            }
            other => fail(
                $ctx,
                "NotSupportedError",
                format!("the hash {other:?} is not supported"),
            ),
        }
    };
}

fn digest(ctx: &Ctx<'_>, hash: &str, data: &[u8]) -> Result<Vec<u8>> {
    use sha2::Digest;
    with_hash!(ctx, hash, H => Ok(H::digest(data).to_vec()))
}

fn hmac(ctx: &Ctx<'_>, hash: &str, key: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    use hmac::{Mac, SimpleHmac};
    with_hash!(ctx, hash, H => {
        let mut mac = <SimpleHmac<H> as Mac>::new_from_slice(key)
            .map_err(|e| Exception::throw_type(ctx, &format!("[DataError] {e}")))?;
        mac.update(data);
        Ok(mac.finalize().into_bytes().to_vec())
    })
}

/// Elliptic-curve operations over one curve (P-256 or P-384), written once.
macro_rules! ec_curve {
    ($m:ident, $curve:ident) => {
        mod $m {
            use super::*;
            use $curve::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
            use $curve::ecdsa::{Signature, SigningKey, VerifyingKey};
            use $curve::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
            use $curve::{PublicKey, SecretKey};

            fn secret(ctx: &Ctx<'_>, d: &[u8]) -> Result<SecretKey> {
                SecretKey::from_slice(d).or_else(|_| fail(ctx, "DataError", "invalid EC private key"))
            }
            fn public(ctx: &Ctx<'_>, point: &[u8]) -> Result<PublicKey> {
                PublicKey::from_sec1_bytes(point).or_else(|_| fail(ctx, "DataError", "invalid EC public key"))
            }
            fn point(p: &PublicKey) -> Vec<u8> {
                use $curve::elliptic_curve::sec1::ToEncodedPoint;
                p.to_encoded_point(false).as_bytes().to_vec()
            }
            /// `[d | null, uncompressed point]` from pkcs8, spki, raw (a SEC1 point) or d.
            pub fn import(ctx: &Ctx<'_>, format: &str, data: &[u8]) -> Result<(Option<Vec<u8>>, Vec<u8>)> {
                match format {
                    "pkcs8" => {
                        let s = SecretKey::from_pkcs8_der(data).or_else(|e| fail(ctx, "DataError", format!("invalid PKCS #8 EC key: {e}")))?;
                        Ok((Some(s.to_bytes().to_vec()), point(&s.public_key())))
                    }
                    "spki" => {
                        let p = PublicKey::from_public_key_der(data).or_else(|e| fail(ctx, "DataError", format!("invalid SPKI EC key: {e}")))?;
                        Ok((None, point(&p)))
                    }
                    "raw" => Ok((None, point(&public(ctx, data)?))),
                    "d" => {
                        let s = secret(ctx, data)?;
                        Ok((Some(s.to_bytes().to_vec()), point(&s.public_key())))
                    }
                    other => fail(ctx, "NotSupportedError", format!("EC import from {other:?}")),
                }
            }
            pub fn export(ctx: &Ctx<'_>, format: &str, d: Option<&[u8]>, p: &[u8]) -> Result<Vec<u8>> {
                match (format, d) {
                    ("pkcs8", Some(d)) => Ok(secret(ctx, d)?
                        .to_pkcs8_der()
                        .or_else(|e| fail(ctx, "OperationError", e))?
                        .as_bytes()
                        .to_vec()),
                    ("spki", _) => Ok(public(ctx, p)?
                        .to_public_key_der()
                        .or_else(|e| fail(ctx, "OperationError", e))?
                        .as_bytes()
                        .to_vec()),
                    _ => fail(ctx, "InvalidAccessError", format!("cannot export this key as {format}")),
                }
            }
            pub fn generate() -> (Vec<u8>, Vec<u8>) {
                let s = SecretKey::random(&mut HostRng);
                (s.to_bytes().to_vec(), point(&s.public_key()))
            }
            /// An IEEE P1363 (r || s) signature over a message digest.
            pub fn sign(ctx: &Ctx<'_>, d: &[u8], prehash: &[u8]) -> Result<Vec<u8>> {
                let key = SigningKey::from(secret(ctx, d)?);
                let sig: Signature = key.sign_prehash(prehash).or_else(|e| fail(ctx, "OperationError", e))?;
                Ok(sig.to_bytes().to_vec())
            }
            pub fn verify(ctx: &Ctx<'_>, p: &[u8], sig: &[u8], prehash: &[u8]) -> Result<bool> {
                let key = VerifyingKey::from(public(ctx, p)?);
                let Ok(sig) = Signature::from_slice(sig) else { return Ok(false) };
                Ok(key.verify_prehash(prehash, &sig).is_ok())
            }
            pub fn ecdh(ctx: &Ctx<'_>, d: &[u8], peer: &[u8]) -> Result<Vec<u8>> {
                let s = secret(ctx, d)?;
                let p = public(ctx, peer)?;
                let shared = $curve::ecdh::diffie_hellman(s.to_nonzero_scalar(), p.as_affine());
                Ok(shared.raw_secret_bytes().to_vec())
            }
        }
    };
}
ec_curve!(ec256, p256);
ec_curve!(ec384, p384);

/// Dispatch an EC operation on the curve name (`P-256`, `P-384`).
macro_rules! on_curve {
    ($ctx:expr, $curve:expr, $m:ident => $body:expr) => {
        match $curve.as_str() {
            "P-256" => {
                use ec256 as $m;
                $body
            }
            "P-384" => {
                use ec384 as $m;
                $body
            }
            other => fail(
                $ctx,
                "NotSupportedError",
                format!("the curve {other:?} is not supported"),
            ),
        }
    };
}

mod ed {
    use super::*;
    use ed25519_dalek::pkcs8::{
        DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey,
    };
    use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

    fn seed(ctx: &Ctx<'_>, s: &[u8]) -> Result<SigningKey> {
        let s: [u8; 32] = s
            .try_into()
            .or_else(|_| fail(ctx, "DataError", "an Ed25519 private key is 32 bytes"))?;
        Ok(SigningKey::from_bytes(&s))
    }
    fn public(ctx: &Ctx<'_>, p: &[u8]) -> Result<VerifyingKey> {
        let p: [u8; 32] = p
            .try_into()
            .or_else(|_| fail(ctx, "DataError", "an Ed25519 public key is 32 bytes"))?;
        VerifyingKey::from_bytes(&p)
            .or_else(|_| fail(ctx, "DataError", "invalid Ed25519 public key"))
    }
    pub fn import(ctx: &Ctx<'_>, format: &str, data: &[u8]) -> Result<(Option<Vec<u8>>, Vec<u8>)> {
        match format {
            "pkcs8" => {
                let k = SigningKey::from_pkcs8_der(data).or_else(|e| {
                    fail(
                        ctx,
                        "DataError",
                        format!("invalid PKCS #8 Ed25519 key: {e}"),
                    )
                })?;
                Ok((
                    Some(k.to_bytes().to_vec()),
                    k.verifying_key().to_bytes().to_vec(),
                ))
            }
            "spki" => {
                let k = VerifyingKey::from_public_key_der(data).or_else(|e| {
                    fail(ctx, "DataError", format!("invalid SPKI Ed25519 key: {e}"))
                })?;
                Ok((None, k.to_bytes().to_vec()))
            }
            "raw" => Ok((None, public(ctx, data)?.to_bytes().to_vec())),
            "d" => {
                let k = seed(ctx, data)?;
                Ok((
                    Some(k.to_bytes().to_vec()),
                    k.verifying_key().to_bytes().to_vec(),
                ))
            }
            other => fail(
                ctx,
                "NotSupportedError",
                format!("Ed25519 import from {other:?}"),
            ),
        }
    }
    pub fn export(ctx: &Ctx<'_>, format: &str, d: Option<&[u8]>, p: &[u8]) -> Result<Vec<u8>> {
        match (format, d) {
            ("pkcs8", Some(d)) => Ok(seed(ctx, d)?
                .to_pkcs8_der()
                .or_else(|e| fail(ctx, "OperationError", e))?
                .as_bytes()
                .to_vec()),
            ("spki", _) => Ok(public(ctx, p)?
                .to_public_key_der()
                .or_else(|e| fail(ctx, "OperationError", e))?
                .as_bytes()
                .to_vec()),
            _ => fail(
                ctx,
                "InvalidAccessError",
                format!("cannot export this key as {format}"),
            ),
        }
    }
    pub fn generate() -> (Vec<u8>, Vec<u8>) {
        let mut seed = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut HostRng, &mut seed);
        let k = SigningKey::from_bytes(&seed);
        (k.to_bytes().to_vec(), k.verifying_key().to_bytes().to_vec())
    }
    pub fn sign(ctx: &Ctx<'_>, d: &[u8], data: &[u8]) -> Result<Vec<u8>> {
        Ok(seed(ctx, d)?.sign(data).to_bytes().to_vec())
    }
    pub fn verify(ctx: &Ctx<'_>, p: &[u8], sig: &[u8], data: &[u8]) -> Result<bool> {
        let key = public(ctx, p)?;
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
            return Ok(false);
        };
        Ok(key.verify_strict(data, &sig).is_ok())
    }
}

mod rsa_ops {
    use super::*;
    use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};
    use rsa::{BigUint, Oaep, Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey};

    /// The largest modulus accepted (bits): bigger keys only cost CPU.
    const MAX_BITS: usize = 8192;

    pub fn private(ctx: &Ctx<'_>, pkcs8: &[u8]) -> Result<RsaPrivateKey> {
        RsaPrivateKey::from_pkcs8_der(pkcs8)
            .or_else(|e| fail(ctx, "DataError", format!("invalid PKCS #8 RSA key: {e}")))
    }
    pub fn public(ctx: &Ctx<'_>, spki: &[u8]) -> Result<RsaPublicKey> {
        RsaPublicKey::from_public_key_der(spki)
            .or_else(|e| fail(ctx, "DataError", format!("invalid SPKI RSA key: {e}")))
    }
    fn der(ctx: &Ctx<'_>, k: &RsaPrivateKey) -> Result<Vec<u8>> {
        Ok(k.to_pkcs8_der()
            .or_else(|e| fail(ctx, "OperationError", e))?
            .as_bytes()
            .to_vec())
    }
    pub fn spki_of(ctx: &Ctx<'_>, k: &RsaPublicKey) -> Result<Vec<u8>> {
        Ok(k.to_public_key_der()
            .or_else(|e| fail(ctx, "OperationError", e))?
            .as_bytes()
            .to_vec())
    }
    /// `[pkcs8 | null, spki]` from pkcs8 or spki DER (checked).
    pub fn import(ctx: &Ctx<'_>, format: &str, data: &[u8]) -> Result<(Option<Vec<u8>>, Vec<u8>)> {
        match format {
            "pkcs8" => {
                let k = private(ctx, data)?;
                Ok((Some(der(ctx, &k)?), spki_of(ctx, &k.to_public_key())?))
            }
            "spki" => Ok((None, spki_of(ctx, &public(ctx, data)?)?)),
            other => fail(
                ctx,
                "NotSupportedError",
                format!("RSA import from {other:?}"),
            ),
        }
    }
    /// From JWK components (big-endian bytes): n, e and, for a private key, d, p, q.
    pub fn from_components(ctx: &Ctx<'_>, parts: &[Vec<u8>]) -> Result<(Option<Vec<u8>>, Vec<u8>)> {
        let n = |i: usize| BigUint::from_bytes_be(&parts[i]);
        match parts.len() {
            2 => {
                let k = RsaPublicKey::new(n(0), n(1)).or_else(|e| fail(ctx, "DataError", e))?;
                Ok((None, spki_of(ctx, &k)?))
            }
            5 => {
                let k = RsaPrivateKey::from_components(n(0), n(1), n(2), vec![n(3), n(4)])
                    .or_else(|e| fail(ctx, "DataError", e))?;
                k.validate().or_else(|e| fail(ctx, "DataError", e))?;
                Ok((Some(der(ctx, &k)?), spki_of(ctx, &k.to_public_key())?))
            }
            _ => fail(
                ctx,
                "DataError",
                "an RSA JWK needs n and e (public) or n, e, d, p, q (private)",
            ),
        }
    }
    /// `[n, e]` or `[n, e, d, p, q, dp, dq, qi]` (big-endian bytes), for a JWK.
    pub fn components(
        ctx: &Ctx<'_>,
        private_der: Option<&[u8]>,
        spki: &[u8],
    ) -> Result<Vec<Vec<u8>>> {
        match private_der {
            Some(der) => {
                let mut k = private(ctx, der)?;
                k.precompute().or_else(|e| fail(ctx, "OperationError", e))?;
                let primes = k.primes();
                let q_inv = k.crt_coefficient().unwrap_or_default();
                Ok(vec![
                    k.n().to_bytes_be(),
                    k.e().to_bytes_be(),
                    k.d().to_bytes_be(),
                    primes[0].to_bytes_be(),
                    primes[1].to_bytes_be(),
                    k.dp().map(|x| x.to_bytes_be()).unwrap_or_default(),
                    k.dq().map(|x| x.to_bytes_be()).unwrap_or_default(),
                    q_inv.to_bytes_be(),
                ])
            }
            None => {
                let k = public(ctx, spki)?;
                Ok(vec![k.n().to_bytes_be(), k.e().to_bytes_be()])
            }
        }
    }
    pub fn generate(ctx: &Ctx<'_>, bits: usize, exponent: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        if !(1024..=MAX_BITS).contains(&bits) || !bits.is_multiple_of(8) {
            return fail(
                ctx,
                "OperationError",
                format!("RSA modulus length must be a multiple of 8 from 1024 to {MAX_BITS}"),
            );
        }
        let e = BigUint::from_bytes_be(exponent);
        let k = RsaPrivateKey::new_with_exp(&mut HostRng, bits, &e)
            .or_else(|e| fail(ctx, "OperationError", e))?;
        Ok((der(ctx, &k)?, spki_of(ctx, &k.to_public_key())?))
    }
    /// RSASSA-PKCS1-v1_5 (`salt` = None) or RSA-PSS over a message digest.
    pub fn sign(
        ctx: &Ctx<'_>,
        hash: &str,
        salt: Option<usize>,
        pkcs8: &[u8],
        prehash: &[u8],
    ) -> Result<Vec<u8>> {
        let k = private(ctx, pkcs8)?;
        let r = with_hash!(ctx, hash, H => Ok(match salt {
            None => k.sign(Pkcs1v15Sign::new::<H>(), prehash),
            Some(s) => k.sign_with_rng(&mut HostRng, Pss::new_with_salt::<H>(s), prehash),
        }))?;
        r.or_else(|e| fail(ctx, "OperationError", e))
    }
    pub fn verify(
        ctx: &Ctx<'_>,
        hash: &str,
        salt: Option<usize>,
        spki: &[u8],
        sig: &[u8],
        prehash: &[u8],
    ) -> Result<bool> {
        let k = public(ctx, spki)?;
        with_hash!(ctx, hash, H => Ok(match salt {
            None => k.verify(Pkcs1v15Sign::new::<H>(), prehash, sig).is_ok(),
            Some(s) => k.verify(Pss::new_with_salt::<H>(s), prehash, sig).is_ok(),
        }))
    }
    fn oaep<H: 'static + sha2::Digest + sha2::digest::DynDigest + Send + Sync>(
        ctx: &Ctx<'_>,
        label: &[u8],
    ) -> Result<Oaep> {
        if label.is_empty() {
            return Ok(Oaep::new::<H>());
        }
        match std::str::from_utf8(label) {
            Ok(l) => Ok(Oaep::new_with_label::<H, _>(l)),
            Err(_) => fail(
                ctx,
                "NotSupportedError",
                "an RSA-OAEP label must be UTF-8 text here",
            ),
        }
    }
    pub fn encrypt(
        ctx: &Ctx<'_>,
        hash: &str,
        spki: &[u8],
        label: &[u8],
        data: &[u8],
    ) -> Result<Vec<u8>> {
        let k = public(ctx, spki)?;
        let padding = with_hash!(ctx, hash, H => oaep::<H>(ctx, label))?;
        k.encrypt(&mut HostRng, padding, data)
            .or_else(|e| fail(ctx, "OperationError", e))
    }
    pub fn decrypt(
        ctx: &Ctx<'_>,
        hash: &str,
        pkcs8: &[u8],
        label: &[u8],
        data: &[u8],
    ) -> Result<Vec<u8>> {
        let k = private(ctx, pkcs8)?;
        let padding = with_hash!(ctx, hash, H => oaep::<H>(ctx, label))?;
        k.decrypt(padding, data)
            .or_else(|_| fail(ctx, "OperationError", "decryption failed"))
    }
    pub fn modulus_bits(ctx: &Ctx<'_>, spki: &[u8]) -> Result<usize> {
        Ok(public(ctx, spki)?.n().bits())
    }
}

mod aes_ops {
    use super::*;
    use aes::{Aes128, Aes192, Aes256};
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    use aes_gcm::AesGcm;
    use cbc::cipher::{
        block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit, StreamCipher,
    };

    macro_rules! with_aes {
        ($ctx:expr, $key:expr, $A:ident => $body:expr) => {
            match $key.len() {
                16 => {
                    type $A = Aes128;
                    $body
                }
                24 => {
                    type $A = Aes192;
                    $body
                }
                32 => {
                    type $A = Aes256;
                    $body
                }
                _ => fail($ctx, "DataError", "an AES key is 16, 24 or 32 bytes"),
            }
        };
    }
    pub fn gcm(
        ctx: &Ctx<'_>,
        encrypt: bool,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        data: &[u8],
    ) -> Result<Vec<u8>> {
        if iv.len() != 12 {
            return fail(
                ctx,
                "NotSupportedError",
                "AES-GCM: only a 12-byte iv is supported here",
            );
        }
        let nonce = aes_gcm::Nonce::from_slice(iv);
        with_aes!(ctx, key, A => {
            let cipher = AesGcm::<A, aes_gcm::aead::consts::U12>::new_from_slice(key)
                .or_else(|_| fail(ctx, "DataError", "bad AES key"))?;
            let payload = Payload { msg: data, aad };
            if encrypt {
                cipher.encrypt(nonce, payload).or_else(|_| fail(ctx, "OperationError", "AES-GCM encryption failed"))
            } else {
                cipher.decrypt(nonce, payload).or_else(|_| fail(ctx, "OperationError", "AES-GCM decryption failed: the data or the tag does not match the key"))
            }
        })
    }
    pub fn cbc(
        ctx: &Ctx<'_>,
        encrypt: bool,
        key: &[u8],
        iv: &[u8],
        data: &[u8],
    ) -> Result<Vec<u8>> {
        if iv.len() != 16 {
            return fail(ctx, "OperationError", "AES-CBC: the iv must be 16 bytes");
        }
        with_aes!(ctx, key, A => {
            if encrypt {
                let c = cbc::Encryptor::<A>::new_from_slices(key, iv).or_else(|_| fail(ctx, "DataError", "bad AES key"))?;
                Ok(c.encrypt_padded_vec_mut::<Pkcs7>(data))
            } else {
                let c = cbc::Decryptor::<A>::new_from_slices(key, iv).or_else(|_| fail(ctx, "DataError", "bad AES key"))?;
                c.decrypt_padded_vec_mut::<Pkcs7>(data).or_else(|_| fail(ctx, "OperationError", "AES-CBC decryption failed: bad padding"))
            }
        })
    }
    /// AES-CTR with a counter of `length` bits at the end of the 16-byte counter block.
    pub fn ctr(
        ctx: &Ctx<'_>,
        key: &[u8],
        counter: &[u8],
        length: u32,
        data: &[u8],
    ) -> Result<Vec<u8>> {
        if counter.len() != 16 {
            return fail(
                ctx,
                "OperationError",
                "AES-CTR: the counter must be 16 bytes",
            );
        }
        let mut buf = data.to_vec();
        with_aes!(ctx, key, A => {
            match length {
                32 => ctr::Ctr32BE::<A>::new_from_slices(key, counter).map(|mut c| c.apply_keystream(&mut buf)),
                64 => ctr::Ctr64BE::<A>::new_from_slices(key, counter).map(|mut c| c.apply_keystream(&mut buf)),
                128 => ctr::Ctr128BE::<A>::new_from_slices(key, counter).map(|mut c| c.apply_keystream(&mut buf)),
                _ => return fail(ctx, "NotSupportedError", "AES-CTR: a counter length of 32, 64 or 128 bits is supported here"),
            }
            .or_else(|_| fail(ctx, "DataError", "bad AES key"))
        })?;
        Ok(buf)
    }
}

fn pbkdf2(
    ctx: &Ctx<'_>,
    hash: &str,
    password: &[u8],
    salt: &[u8],
    rounds: u32,
    bytes: usize,
) -> Result<Vec<u8>> {
    let mut okm = vec![0u8; bytes];
    with_hash!(ctx, hash, H => {
        pbkdf2::pbkdf2_hmac::<H>(password, salt, rounds, &mut okm);
        Ok(())
    })?;
    Ok(okm)
}

fn hkdf(
    ctx: &Ctx<'_>,
    hash: &str,
    ikm: &[u8],
    salt: &[u8],
    info: &[u8],
    bytes: usize,
) -> Result<Vec<u8>> {
    let mut okm = vec![0u8; bytes];
    with_hash!(ctx, hash, H => hkdf::Hkdf::<H>::new(Some(salt), ikm)
        .expand(info, &mut okm)
        .or_else(|_| fail(ctx, "OperationError", "HKDF: the length is too large for this hash")))?;
    Ok(okm)
}

/// `[private | null, public]` as a JS array.
fn pair<'js>(ctx: &Ctx<'js>, (d, p): (Option<Vec<u8>>, Vec<u8>)) -> Result<Value<'js>> {
    let a = javy::quickjs::Array::new(ctx.clone())?;
    match d {
        Some(d) => a.set(0, out(ctx, d)?)?,
        None => a.set(0, Value::new_null(ctx.clone()))?,
    }
    a.set(1, out(ctx, p)?)?;
    Ok(a.into_value())
}

fn opt_bytes<'a, 'js>(ctx: &Ctx<'js>, v: &'a Value<'js>) -> Result<Option<&'a [u8]>> {
    if v.is_null() || v.is_undefined() {
        Ok(None)
    } else {
        bytes_of(ctx, v).map(Some)
    }
}

/// The most a DecompressionStream may produce from one stream (a zip bomb ends here, with an
/// error, instead of at the memory limit).
const MAX_INFLATED: usize = 64 << 20;

/// CompressionStream / DecompressionStream: `gzip`, `deflate` (zlib) or `deflate-raw`, in one
/// pass over the whole input.
fn compression(ctx: &Ctx<'_>, compress: bool, format: &str, data: &[u8]) -> Result<Vec<u8>> {
    use miniz_oxide::{deflate, inflate};
    const LEVEL: u8 = 6;
    let too_big = |e: inflate::DecompressError| -> Result<Vec<u8>> {
        if matches!(e.status, inflate::TINFLStatus::HasMoreOutput) {
            fail(
                ctx,
                "TypeError",
                format!(
                    "DecompressionStream: the output is larger than {} MiB",
                    MAX_INFLATED >> 20
                ),
            )
        } else {
            fail(
                ctx,
                "TypeError",
                format!(
                    "DecompressionStream: the {format} data is corrupt ({:?})",
                    e.status
                ),
            )
        }
    };
    match (compress, format) {
        (true, "deflate-raw") => Ok(deflate::compress_to_vec(data, LEVEL)),
        (true, "deflate") => Ok(deflate::compress_to_vec_zlib(data, LEVEL)),
        (true, "gzip") => {
            let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
            out.extend_from_slice(&deflate::compress_to_vec(data, LEVEL));
            out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            Ok(out)
        }
        (false, "deflate-raw") => {
            inflate::decompress_to_vec_with_limit(data, MAX_INFLATED).or_else(too_big)
        }
        (false, "deflate") => {
            inflate::decompress_to_vec_zlib_with_limit(data, MAX_INFLATED).or_else(too_big)
        }
        (false, "gzip") => {
            let corrupt = |why: &str| {
                fail(
                    ctx,
                    "TypeError",
                    format!("DecompressionStream: the gzip data is corrupt ({why})"),
                )
            };
            if data.len() < 18 || data[0] != 0x1f || data[1] != 0x8b || data[2] != 8 {
                return corrupt("no gzip header");
            }
            let flags = data[3];
            let mut at = 10usize;
            if flags & 4 != 0 {
                let n = u16::from_le_bytes([data[at], data[at + 1]]) as usize;
                at += 2 + n;
            }
            for bit in [8u8, 16] {
                if flags & bit != 0 {
                    while at < data.len() && data[at] != 0 {
                        at += 1;
                    }
                    at += 1;
                }
            }
            if flags & 2 != 0 {
                at += 2;
            }
            if at + 8 > data.len() {
                return corrupt("truncated");
            }
            let body = &data[at..data.len() - 8];
            let out = inflate::decompress_to_vec_with_limit(body, MAX_INFLATED).or_else(too_big)?;
            let trailer = &data[data.len() - 8..];
            let crc = u32::from_le_bytes(trailer[0..4].try_into().unwrap());
            let size = u32::from_le_bytes(trailer[4..8].try_into().unwrap());
            if crc != crc32fast::hash(&out) || size != out.len() as u32 {
                return corrupt("the checksum does not match");
            }
            Ok(out)
        }
        _ => fail(
            ctx,
            "TypeError",
            format!("unsupported compression format {format:?}"),
        ),
    }
}

/// Add the crypto natives to the prelude's `native` object (all named `crypto*`).
pub fn register<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> Result<()> {
    native.set(
        "cryptoDigest",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, hash: String, data: Value<'js>| -> Result<Bytes<'js>> {
                let d = digest(&ctx, &hash, bytes_of(&ctx, &data)?)?;
                out(&ctx, d)
            },
        )?,
    )?;
    native.set(
        "cryptoHmac",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             hash: String,
             key: Value<'js>,
             data: Value<'js>|
             -> Result<Bytes<'js>> {
                let d = hmac(&ctx, &hash, bytes_of(&ctx, &key)?, bytes_of(&ctx, &data)?)?;
                out(&ctx, d)
            },
        )?,
    )?;
    // EC (ECDSA, ECDH) on P-256 and P-384.
    native.set(
        "cryptoEcImport",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             curve: String,
             format: String,
             data: Value<'js>|
             -> Result<Value<'js>> {
                let bytes = bytes_of(&ctx, &data)?;
                let r = on_curve!(&ctx, curve, m => m::import(&ctx, &format, bytes))?;
                pair(&ctx, r)
            },
        )?,
    )?;
    native.set(
        "cryptoEcExport",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             curve: String,
             format: String,
             d: Value<'js>,
             p: Value<'js>|
             -> Result<Bytes<'js>> {
                let (d, p) = (opt_bytes(&ctx, &d)?, bytes_of(&ctx, &p)?);
                let r = on_curve!(&ctx, curve, m => m::export(&ctx, &format, d, p))?;
                out(&ctx, r)
            },
        )?,
    )?;
    native.set(
        "cryptoEcGenerate",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, curve: String| -> Result<Value<'js>> {
                let (d, p) = on_curve!(&ctx, curve, m => Ok(m::generate()))?;
                pair(&ctx, (Some(d), p))
            },
        )?,
    )?;
    native.set(
        "cryptoEcSign",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             curve: String,
             hash: String,
             d: Value<'js>,
             data: Value<'js>|
             -> Result<Bytes<'js>> {
                let prehash = digest(&ctx, &hash, bytes_of(&ctx, &data)?)?;
                let d = bytes_of(&ctx, &d)?;
                let sig = on_curve!(&ctx, curve, m => m::sign(&ctx, d, &prehash))?;
                out(&ctx, sig)
            },
        )?,
    )?;
    native.set(
        "cryptoEcVerify",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             curve: String,
             hash: String,
             p: Value<'js>,
             sig: Value<'js>,
             data: Value<'js>|
             -> Result<bool> {
                let prehash = digest(&ctx, &hash, bytes_of(&ctx, &data)?)?;
                let (p, sig) = (bytes_of(&ctx, &p)?, bytes_of(&ctx, &sig)?);
                on_curve!(&ctx, curve, m => m::verify(&ctx, p, sig, &prehash))
            },
        )?,
    )?;
    native.set(
        "cryptoEcdh",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, curve: String, d: Value<'js>, peer: Value<'js>| -> Result<Bytes<'js>> {
                let (d, peer) = (bytes_of(&ctx, &d)?, bytes_of(&ctx, &peer)?);
                let s = on_curve!(&ctx, curve, m => m::ecdh(&ctx, d, peer))?;
                out(&ctx, s)
            },
        )?,
    )?;
    // Ed25519.
    native.set(
        "cryptoEdImport",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, format: String, data: Value<'js>| -> Result<Value<'js>> {
                let r = ed::import(&ctx, &format, bytes_of(&ctx, &data)?)?;
                pair(&ctx, r)
            },
        )?,
    )?;
    native.set(
        "cryptoEdExport",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, format: String, d: Value<'js>, p: Value<'js>| -> Result<Bytes<'js>> {
                let r = ed::export(&ctx, &format, opt_bytes(&ctx, &d)?, bytes_of(&ctx, &p)?)?;
                out(&ctx, r)
            },
        )?,
    )?;
    native.set(
        "cryptoEdGenerate",
        Function::new(ctx.clone(), |ctx: Ctx<'js>| -> Result<Value<'js>> {
            let (d, p) = ed::generate();
            pair(&ctx, (Some(d), p))
        })?,
    )?;
    native.set(
        "cryptoEdSign",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, d: Value<'js>, data: Value<'js>| -> Result<Bytes<'js>> {
                let sig = ed::sign(&ctx, bytes_of(&ctx, &d)?, bytes_of(&ctx, &data)?)?;
                out(&ctx, sig)
            },
        )?,
    )?;
    native.set(
        "cryptoEdVerify",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, p: Value<'js>, sig: Value<'js>, data: Value<'js>| -> Result<bool> {
                ed::verify(
                    &ctx,
                    bytes_of(&ctx, &p)?,
                    bytes_of(&ctx, &sig)?,
                    bytes_of(&ctx, &data)?,
                )
            },
        )?,
    )?;
    // RSA (keys as PKCS #8 / SPKI DER).
    native.set(
        "cryptoRsaImport",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, format: String, data: Value<'js>| -> Result<Value<'js>> {
                let r = rsa_ops::import(&ctx, &format, bytes_of(&ctx, &data)?)?;
                pair(&ctx, r)
            },
        )?,
    )?;
    native.set(
        "cryptoRsaFromComponents",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, parts: javy::quickjs::Array<'js>| -> Result<Value<'js>> {
                let mut v = Vec::new();
                for part in parts.iter::<Value<'js>>() {
                    let part = part?;
                    v.push(bytes_of(&ctx, &part)?.to_vec());
                }
                let r = rsa_ops::from_components(&ctx, &v)?;
                pair(&ctx, r)
            },
        )?,
    )?;
    native.set(
        "cryptoRsaComponents",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, d: Value<'js>, p: Value<'js>| -> Result<Value<'js>> {
                let parts = rsa_ops::components(&ctx, opt_bytes(&ctx, &d)?, bytes_of(&ctx, &p)?)?;
                let a = javy::quickjs::Array::new(ctx.clone())?;
                for (i, part) in parts.into_iter().enumerate() {
                    a.set(i, out(&ctx, part)?)?;
                }
                Ok(a.into_value())
            },
        )?,
    )?;
    native.set(
        "cryptoRsaGenerate",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, bits: u32, exponent: Value<'js>| -> Result<Value<'js>> {
                let (d, p) = rsa_ops::generate(&ctx, bits as usize, bytes_of(&ctx, &exponent)?)?;
                pair(&ctx, (Some(d), p))
            },
        )?,
    )?;
    native.set(
        "cryptoRsaBits",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, p: Value<'js>| -> Result<u32> {
            Ok(rsa_ops::modulus_bits(&ctx, bytes_of(&ctx, &p)?)? as u32)
        })?,
    )?;
    native.set(
        "cryptoRsaSign",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             hash: String,
             salt: Opt<Value<'js>>,
             d: Value<'js>,
             data: Value<'js>|
             -> Result<Bytes<'js>> {
                let salt = salt.0.and_then(|s| s.as_number()).map(|s| s as usize);
                let prehash = digest(&ctx, &hash, bytes_of(&ctx, &data)?)?;
                let sig = rsa_ops::sign(&ctx, &hash, salt, bytes_of(&ctx, &d)?, &prehash)?;
                out(&ctx, sig)
            },
        )?,
    )?;
    native.set(
        "cryptoRsaVerify",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             hash: String,
             salt: Value<'js>,
             p: Value<'js>,
             sig: Value<'js>,
             data: Value<'js>|
             -> Result<bool> {
                let salt = salt.as_number().map(|s| s as usize);
                let prehash = digest(&ctx, &hash, bytes_of(&ctx, &data)?)?;
                rsa_ops::verify(
                    &ctx,
                    &hash,
                    salt,
                    bytes_of(&ctx, &p)?,
                    bytes_of(&ctx, &sig)?,
                    &prehash,
                )
            },
        )?,
    )?;
    native.set(
        "cryptoRsaOaep",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             encrypt: bool,
             hash: String,
             key: Value<'js>,
             label: Value<'js>,
             data: Value<'js>|
             -> Result<Bytes<'js>> {
                let (key, label, data) = (
                    bytes_of(&ctx, &key)?,
                    bytes_of(&ctx, &label)?,
                    bytes_of(&ctx, &data)?,
                );
                let r = if encrypt {
                    rsa_ops::encrypt(&ctx, &hash, key, label, data)?
                } else {
                    rsa_ops::decrypt(&ctx, &hash, key, label, data)?
                };
                out(&ctx, r)
            },
        )?,
    )?;
    // AES.
    native.set(
        "cryptoAesGcm",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             encrypt: bool,
             key: Value<'js>,
             iv: Value<'js>,
             aad: Value<'js>,
             data: Value<'js>|
             -> Result<Bytes<'js>> {
                let r = aes_ops::gcm(
                    &ctx,
                    encrypt,
                    bytes_of(&ctx, &key)?,
                    bytes_of(&ctx, &iv)?,
                    bytes_of(&ctx, &aad)?,
                    bytes_of(&ctx, &data)?,
                )?;
                out(&ctx, r)
            },
        )?,
    )?;
    native.set(
        "cryptoAesCbc",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             encrypt: bool,
             key: Value<'js>,
             iv: Value<'js>,
             data: Value<'js>|
             -> Result<Bytes<'js>> {
                let r = aes_ops::cbc(
                    &ctx,
                    encrypt,
                    bytes_of(&ctx, &key)?,
                    bytes_of(&ctx, &iv)?,
                    bytes_of(&ctx, &data)?,
                )?;
                out(&ctx, r)
            },
        )?,
    )?;
    native.set(
        "cryptoAesCtr",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             key: Value<'js>,
             counter: Value<'js>,
             length: u32,
             data: Value<'js>|
             -> Result<Bytes<'js>> {
                let r = aes_ops::ctr(
                    &ctx,
                    bytes_of(&ctx, &key)?,
                    bytes_of(&ctx, &counter)?,
                    length,
                    bytes_of(&ctx, &data)?,
                )?;
                out(&ctx, r)
            },
        )?,
    )?;
    // Key derivation.
    native.set(
        "cryptoPbkdf2",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             hash: String,
             password: Value<'js>,
             salt: Value<'js>,
             rounds: u32,
             bytes: u32|
             -> Result<Bytes<'js>> {
                let r = pbkdf2(
                    &ctx,
                    &hash,
                    bytes_of(&ctx, &password)?,
                    bytes_of(&ctx, &salt)?,
                    rounds,
                    bytes as usize,
                )?;
                out(&ctx, r)
            },
        )?,
    )?;
    native.set(
        "cryptoHkdf",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             hash: String,
             ikm: Value<'js>,
             salt: Value<'js>,
             info: Value<'js>,
             bytes: u32|
             -> Result<Bytes<'js>> {
                let r = hkdf(
                    &ctx,
                    &hash,
                    bytes_of(&ctx, &ikm)?,
                    bytes_of(&ctx, &salt)?,
                    bytes_of(&ctx, &info)?,
                    bytes as usize,
                )?;
                out(&ctx, r)
            },
        )?,
    )?;
    native.set(
        "compression",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             compress: bool,
             format: String,
             data: Value<'js>|
             -> Result<Bytes<'js>> {
                let r = compression(&ctx, compress, &format, bytes_of(&ctx, &data)?)?;
                out(&ctx, r)
            },
        )?,
    )?;
    Ok(())
}
