/*
 * encryptor.c - the file-encryptor enclave.  The key is derived and kept
 * inside the enclave; the host only ever sees the salt, the IV, a password
 * check value and the blocks it asked to have encrypted or decrypted.
 */
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "fileencryptor_t.h"

static crypto_cbc *g_cbc;

/* Constant time: how much of a check value matched must not leak. */
static int equal_ct(const unsigned char *a, const unsigned char *b, size_t size)
{
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < size; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

int initialize_encryptor(bool encrypt, const char *password, encryption_header_t *header)
{
	/* key (CRYPTO_KEY_SIZE) followed by the password check value */
	unsigned char derived[CRYPTO_KEY_SIZE + ENCRYPTOR_CHECK_SIZE];
	oe_result_t result;
	int ret = -1;

	crypto_cbc_free(g_cbc);
	g_cbc = NULL;

	if (encrypt) {
		result = oe_random(header->salt, sizeof(header->salt));
		if (result == OE_OK)
			result = oe_random(header->iv, sizeof(header->iv));
		if (result != OE_OK) {
			fprintf(stderr, "enclave: oe_random failed: %s\n", oe_result_str(result));
			return -1;
		}
	}

	if (crypto_derive(password, strlen(password), header->salt, sizeof(header->salt),
	                  ENCRYPTOR_KDF_ITERATIONS, derived, sizeof(derived)) != 0) {
		fprintf(stderr, "enclave: key derivation failed\n");
		goto out;
	}

	if (encrypt) {
		memcpy(header->check, derived + CRYPTO_KEY_SIZE, ENCRYPTOR_CHECK_SIZE);
	} else if (!equal_ct(header->check, derived + CRYPTO_KEY_SIZE, ENCRYPTOR_CHECK_SIZE)) {
		ret = -2; /* wrong password: the host says so */
		goto out;
	}

	if (crypto_cbc_new(&g_cbc, encrypt, derived, header->iv) != 0) {
		fprintf(stderr, "enclave: cipher setup failed\n");
		goto out;
	}
	ret = 0;

out:
	crypto_wipe(derived, sizeof(derived));
	return ret;
}

int encrypt_block(const unsigned char *input_buf, unsigned char *output_buf, size_t size)
{
	if (g_cbc == NULL || size % ENCRYPTOR_AES_BLOCK != 0)
		return -1;
	/* Both buffers are the enclave's own copies, made by the generated
	 * code: the host cannot change the input while it is read. */
	return crypto_cbc_update(g_cbc, input_buf, output_buf, size) == 0 ? 0 : -1;
}

void close_encryptor(void)
{
	crypto_cbc_free(g_cbc);
	g_cbc = NULL;
}
