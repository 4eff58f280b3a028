package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelSignatureTest {

  static final KeyPair PUBLISHER = ModelSignature.generate();
  static final KeyPair OTHER = ModelSignature.generate();
  static final byte[] MODEL = "FLOWGARD model bytes".getBytes(StandardCharsets.US_ASCII);

  @Test
  void aSignatureVerifiesWithTheMatchingPublicKeyOnly() {
    byte[] sig = ModelSignature.sign(PUBLISHER.getPrivate(), MODEL);
    assertEquals(ModelSignature.SIGNATURE_BYTES, sig.length);
    assertTrue(ModelSignature.verify(List.of(PUBLISHER.getPublic()), MODEL, sig));
    assertFalse(ModelSignature.verify(List.of(OTHER.getPublic()), MODEL, sig));
    assertTrue(ModelSignature.verify(List.of(OTHER.getPublic(), PUBLISHER.getPublic()), MODEL, sig),
        "any of several keys");
  }

  @Test
  void aChangedByteOrSignatureFailsAndMalformedSignaturesAreFalseNotErrors() {
    byte[] sig = ModelSignature.sign(PUBLISHER.getPrivate(), MODEL);
    byte[] tampered = MODEL.clone();
    tampered[3] ^= 1;
    List<java.security.PublicKey> keys = List.of(PUBLISHER.getPublic());
    assertFalse(ModelSignature.verify(keys, tampered, sig));
    byte[] badSig = sig.clone();
    badSig[10] ^= 1;
    assertFalse(ModelSignature.verify(keys, MODEL, badSig));
    assertFalse(ModelSignature.verify(keys, MODEL, new byte[0]), "unsigned");
    assertFalse(ModelSignature.verify(keys, MODEL, new byte[64]), "zeros");
    assertFalse(ModelSignature.verify(List.of(), MODEL, sig), "no keys");
  }

  @Test
  void keysRoundTripThroughPem() {
    String priv = ModelSignature.privateKeyPem(PUBLISHER.getPrivate());
    String pub = ModelSignature.publicKeyPem(PUBLISHER.getPublic());
    assertTrue(priv.startsWith("-----BEGIN PRIVATE KEY-----\n"), priv);
    assertTrue(pub.startsWith("-----BEGIN PUBLIC KEY-----\n"), pub);
    byte[] sig = ModelSignature.sign(ModelSignature.privateKey(priv), MODEL);
    assertTrue(ModelSignature.verify(List.of(ModelSignature.publicKey(pub)), MODEL, sig));
  }

  @Test
  void opensslsEd25519PublicKeyPemReads() {
    // RFC 8410 section 10.1's example public key.
    String pem = "-----BEGIN PUBLIC KEY-----\n"
        + "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
        + "-----END PUBLIC KEY-----\n";
    assertEquals("EdDSA", ModelSignature.publicKey(pem).getAlgorithm());
  }

  @Test
  void aPublicKeyIsNotAPrivateKeyAndGarbageIsRefusedClearly() {
    String pub = ModelSignature.publicKeyPem(PUBLISHER.getPublic());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelSignature.privateKey(pub));
    assertTrue(e.getMessage().contains("BEGIN PRIVATE KEY"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ModelSignature.publicKey("-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----"));
  }

  @Test
  void signatureFilesRoundTripAndAWithdrawalNamesItsModel() {
    byte[] sig = ModelSignature.sign(PUBLISHER.getPrivate(), MODEL);
    assertArrayEquals(sig,
        ModelSignature.parseSignatureFile(ModelSignature.signatureFileText(sig)));
    assertEquals(0, ModelSignature.parseSignatureFile("not base64 !").length);
    assertFalse(java.util.Arrays.equals(ModelSignature.withdrawal("a"),
        ModelSignature.withdrawal("b")));
  }
}
