package io.flowguard.core.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/**
 * Ed25519 signatures of model files (the JDK's own {@code java.security}, no extra dependency), so
 * that a job can accept only models from its publishers.
 *
 * <p>The signature covers the model file's bytes exactly as published and travels beside them, never
 * inside: as the Kafka record header {@value #HEADER} (the 64 raw signature bytes) on the model
 * topic, and as a file {@code NAME.fgm.sig} (the signature in base64, one line) beside a model file
 * in a model directory. The model file format is unchanged, so a signed file is an ordinary file.
 *
 * <p>Keys are files in PEM form: a private key is PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}), a
 * public key X.509 SubjectPublicKeyInfo ({@code -----BEGIN PUBLIC KEY-----}), the forms {@code
 * openssl genpkey -algorithm ed25519} writes; {@code flowguard keygen} writes a pair.
 */
public final class ModelSignature {

  /** The Kafka record header that carries a model record's signature. */
  public static final String HEADER = "flowguard.signature";

  /** The suffix of a signature file beside a model file: {@code pump.fgm.sig}. */
  public static final String FILE_SUFFIX = ".sig";

  /** The length of an Ed25519 signature, in bytes. */
  public static final int SIGNATURE_BYTES = 64;

  private static final String ALGORITHM = "Ed25519";
  private static final String PRIVATE_PEM = "PRIVATE KEY";
  private static final String PUBLIC_PEM = "PUBLIC KEY";

  private ModelSignature() {}

  /** A new key pair. */
  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this Java has no Ed25519 (Java 15 and later do)", e);
    }
  }

  /** The signature (64 bytes) of the model file's bytes. */
  public static byte[] sign(PrivateKey key, byte[] modelBytes) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(key);
      s.update(modelBytes);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign with this key (an Ed25519 private key is needed): "
          + e.getMessage(), e);
    }
  }

  /**
   * Whether {@code signature} is a valid signature of {@code modelBytes} by the private key of one of
   * {@code keys}. False for an empty or malformed signature; never throws for bad input.
   */
  public static boolean verify(List<PublicKey> keys, byte[] modelBytes, byte[] signature) {
    if (signature.length != SIGNATURE_BYTES) {
      return false;
    }
    for (PublicKey key : keys) {
      try {
        Signature s = Signature.getInstance(ALGORITHM);
        s.initVerify(key);
        s.update(modelBytes);
        if (s.verify(signature)) {
          return true;
        }
      } catch (GeneralSecurityException e) {
        // A malformed signature or a key of another algorithm: not a match, try the next key.
      }
    }
    return false;
  }

  /**
   * What a signed tombstone signs: {@code flowguard-withdraw:NAME} in UTF-8. A job that verifies
   * signatures withdraws a model only on a tombstone carrying a valid signature of these bytes.
   */
  public static byte[] withdrawal(String modelName) {
    return ("flowguard-withdraw:" + modelName).getBytes(StandardCharsets.UTF_8);
  }

  /** The PEM text of a private key (PKCS#8). */
  public static String privateKeyPem(PrivateKey key) {
    return pem(PRIVATE_PEM, key.getEncoded());
  }

  /** The PEM text of a public key (X.509 SubjectPublicKeyInfo). */
  public static String publicKeyPem(PublicKey key) {
    return pem(PUBLIC_PEM, key.getEncoded());
  }

  /** Reads a private key from PEM text; IllegalArgumentException says what is wrong. */
  public static PrivateKey privateKey(String pem) {
    try {
      return KeyFactory.getInstance(ALGORITHM)
          .generatePrivate(new PKCS8EncodedKeySpec(unpem(pem, PRIVATE_PEM)));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 private key: " + e.getMessage(), e);
    }
  }

  /** Reads a public key from PEM text; IllegalArgumentException says what is wrong. */
  public static PublicKey publicKey(String pem) {
    return publicKey(unpem(pem, PUBLIC_PEM));
  }

  /** A public key from its X.509 encoding ({@link PublicKey#getEncoded()}). */
  public static PublicKey publicKey(byte[] x509) {
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(x509));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 public key: " + e.getMessage(), e);
    }
  }

  /** Reads a private key file; the exception names the file. */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    try {
      return privateKey(Files.readString(file, StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /** Reads a public key file; the exception names the file. */
  public static PublicKey readPublicKey(Path file) throws IOException {
    try {
      return publicKey(Files.readString(file, StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /** The content of a signature file: the signature in base64 and a newline. */
  public static String signatureFileText(byte[] signature) {
    return Base64.getEncoder().encodeToString(signature) + "\n";
  }

  /** The signature in a signature file's text; empty when it is not base64. */
  public static byte[] parseSignatureFile(String text) {
    try {
      return Base64.getDecoder().decode(text.strip());
    } catch (IllegalArgumentException e) {
      return new byte[0];
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private static byte[] unpem(String pem, String type) {
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int b = pem.indexOf(begin);
    int e = pem.indexOf(end);
    if (b < 0 || e < b) {
      throw new IllegalArgumentException("expected a PEM block '" + begin + "'");
    }
    try {
      return Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException("the PEM block is not base64", ex);
    }
  }
}
