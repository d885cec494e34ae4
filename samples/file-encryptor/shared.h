/*
 * shared.h - the encrypted file's header, shared by the host and the
 * enclave (fileencryptor.edl includes it).
 *
 * File layout: the header, then the AES-256-CBC ciphertext of the file
 * padded to whole blocks (PKCS#7: 1 to 16 bytes, each the pad length).
 */
#ifndef FILE_ENCRYPTOR_SHARED_H
#define FILE_ENCRYPTOR_SHARED_H

#include <stdint.h>

#define ENCRYPTOR_MAGIC      "TEFENC01"
#define ENCRYPTOR_MAGIC_SIZE 8
#define ENCRYPTOR_AES_BLOCK  16
#define ENCRYPTOR_SALT_SIZE  16
#define ENCRYPTOR_CHECK_SIZE 32
/* PBKDF2-HMAC-SHA256 iterations for the password. */
#define ENCRYPTOR_KDF_ITERATIONS 100000

typedef struct encryption_header {
	char magic[ENCRYPTOR_MAGIC_SIZE];        /* set by the host */
	uint64_t file_size;                      /* plaintext bytes; set by the host */
	unsigned char salt[ENCRYPTOR_SALT_SIZE]; /* KDF salt; set by the enclave */
	unsigned char iv[ENCRYPTOR_AES_BLOCK];   /* CBC IV; set by the enclave */
	/* Second half of the KDF output: tells a wrong password from a right
	 * one without revealing the key (the first half). */
	unsigned char check[ENCRYPTOR_CHECK_SIZE];
} encryption_header_t;

#endif /* FILE_ENCRYPTOR_SHARED_H */
