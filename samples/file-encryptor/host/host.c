/*
 * host.c - the file-encryptor host: streams a file through the enclave to
 * encrypt it, streams the result back through to decrypt it, checks that a
 * wrong password is refused, and compares the round trip with the input.
 *
 *   file-encryptor_host <input file> <enclave.signed> [--simulate]
 *
 * Writes out.encrypted and out.decrypted in the current directory.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openenclave/host.h>

#include "fileencryptor_u.h"

#define CHUNK_SIZE     (4 * 1024) /* bytes per ECALL; a multiple of 16 */
#define ENCRYPTED_FILE "out.encrypted"
#define DECRYPTED_FILE "out.decrypted"

static const char *const g_password = "anyPasswordYouLike";

/* Reports a failed SDK call; always returns -1. */
static int oe_failed(const char *what, oe_result_t result)
{
	fprintf(stderr, "Host: %s failed: result=%u (%s)\n", what, result, oe_result_str(result));
	return -1;
}

static int io_failed(const char *what, const char *path)
{
	fprintf(stderr, "Host: %s %s: %s\n", what, path, strerror(errno));
	return -1;
}

static int file_size(FILE *f, uint64_t *size)
{
	long end;

	if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		return -1;
	*size = (uint64_t)end;
	return 0;
}

/* Sets up the enclave's cipher for this header; -2 means wrong password. */
static int start(oe_enclave_t *enclave, bool encrypt, const char *password,
                 encryption_header_t *header)
{
	oe_result_t result;
	int ret = -1;

	result = initialize_encryptor(enclave, &ret, encrypt, password, header);
	if (result != OE_OK)
		return oe_failed("initialize_encryptor", result);
	return ret;
}

static int finish(oe_enclave_t *enclave)
{
	oe_result_t result = close_encryptor(enclave);

	return result == OE_OK ? 0 : oe_failed("close_encryptor", result);
}

static int run_block(oe_enclave_t *enclave, const unsigned char *in, unsigned char *out,
                     size_t size)
{
	oe_result_t result;
	int ret = -1;

	result = encrypt_block(enclave, &ret, in, out, size);
	if (result != OE_OK)
		return oe_failed("encrypt_block", result);
	if (ret != 0)
		fprintf(stderr, "Host: the enclave refused a block (%d)\n", ret);
	return ret;
}

/* Header, then the padded plaintext encrypted CHUNK_SIZE bytes per ECALL. */
static int encrypt_file(oe_enclave_t *enclave, const char *in_path, const char *out_path)
{
	static unsigned char in[CHUNK_SIZE + 16], out[CHUNK_SIZE + 16];
	encryption_header_t header;
	FILE *fin = NULL, *fout = NULL;
	uint64_t left;
	int ret = -1;

	memset(&header, 0, sizeof(header));
	memcpy(header.magic, ENCRYPTOR_MAGIC, ENCRYPTOR_MAGIC_SIZE);
	if ((fin = fopen(in_path, "rb")) == NULL) {
		io_failed("cannot open", in_path);
		goto out;
	}
	if ((fout = fopen(out_path, "wb")) == NULL) {
		io_failed("cannot create", out_path);
		goto out;
	}
	if (file_size(fin, &header.file_size) != 0) {
		io_failed("cannot size", in_path);
		goto out;
	}
	if (start(enclave, true, g_password, &header) != 0)
		goto out;
	if (fwrite(&header, sizeof(header), 1, fout) != 1) {
		io_failed("cannot write", out_path);
		goto out;
	}

	left = header.file_size;
	for (;;) {
		size_t n = left < CHUNK_SIZE ? (size_t)left : CHUNK_SIZE;
		bool last = n == left;
		size_t size = n;

		if (fread(in, 1, n, fin) != n) {
			io_failed("short read from", in_path);
			goto out;
		}
		left -= n;
		if (last) {
			/* PKCS#7: always 1..16 bytes, each holding the count. */
			size_t pad = ENCRYPTOR_AES_BLOCK - n % ENCRYPTOR_AES_BLOCK;

			memset(in + n, (int)pad, pad);
			size += pad;
		}
		if (run_block(enclave, in, out, size) != 0)
			goto out;
		if (fwrite(out, 1, size, fout) != size) {
			io_failed("cannot write", out_path);
			goto out;
		}
		if (last)
			break;
	}
	ret = finish(enclave);

out:
	if (fin != NULL)
		fclose(fin);
	if (fout != NULL && fclose(fout) != 0 && ret == 0)
		ret = io_failed("cannot write", out_path);
	return ret;
}

/* Reads and checks the header of an encrypted file; f is left after it. */
static int read_header(FILE *f, const char *path, encryption_header_t *header)
{
	uint64_t size, padded;

	if (file_size(f, &size) != 0 || fread(header, sizeof(*header), 1, f) != 1 ||
	    memcmp(header->magic, ENCRYPTOR_MAGIC, ENCRYPTOR_MAGIC_SIZE) != 0) {
		fprintf(stderr, "Host: %s is not an encrypted file\n", path);
		return -1;
	}
	padded = (header->file_size / ENCRYPTOR_AES_BLOCK + 1) * ENCRYPTOR_AES_BLOCK;
	if (header->file_size > UINT64_MAX / 2 || size - sizeof(*header) != padded) {
		fprintf(stderr, "Host: %s: ciphertext size does not match the header\n", path);
		return -1;
	}
	return 0;
}

static int decrypt_file(oe_enclave_t *enclave, const char *in_path, const char *out_path,
                        const char *password)
{
	static unsigned char in[CHUNK_SIZE], out[CHUNK_SIZE];
	encryption_header_t header;
	FILE *fin = NULL, *fout = NULL;
	uint64_t left, plain_left;
	int ret = -1;

	if ((fin = fopen(in_path, "rb")) == NULL) {
		io_failed("cannot open", in_path);
		goto out;
	}
	if (read_header(fin, in_path, &header) != 0)
		goto out;
	ret = start(enclave, false, password, &header);
	if (ret != 0)
		goto out; /* -2: wrong password, the caller decides */
	ret = -1;
	if ((fout = fopen(out_path, "wb")) == NULL) {
		io_failed("cannot create", out_path);
		goto out;
	}

	plain_left = header.file_size;
	left = (header.file_size / ENCRYPTOR_AES_BLOCK + 1) * ENCRYPTOR_AES_BLOCK;
	while (left > 0) {
		size_t n = left < CHUNK_SIZE ? (size_t)left : CHUNK_SIZE;
		size_t keep = plain_left < n ? (size_t)plain_left : n;

		if (fread(in, 1, n, fin) != n) {
			io_failed("short read from", in_path);
			goto out;
		}
		if (run_block(enclave, in, out, n) != 0)
			goto out;
		left -= n;
		if (left == 0) {
			/* The last block ends in the padding: check all of it. */
			size_t pad = out[n - 1], i;

			if (pad < 1 || pad > ENCRYPTOR_AES_BLOCK || keep != n - pad) {
				fprintf(stderr, "Host: bad padding in %s\n", in_path);
				goto out;
			}
			for (i = n - pad; i < n; i++) {
				if (out[i] != pad) {
					fprintf(stderr, "Host: bad padding in %s\n", in_path);
					goto out;
				}
			}
		}
		if (fwrite(out, 1, keep, fout) != keep) {
			io_failed("cannot write", out_path);
			goto out;
		}
		plain_left -= keep;
	}
	ret = finish(enclave);

out:
	if (fin != NULL)
		fclose(fin);
	if (fout != NULL && fclose(fout) != 0 && ret == 0)
		ret = io_failed("cannot write", out_path);
	return ret;
}

/* 0 when both files hold the same bytes; *size gets their length. */
static int compare_files(const char *a_path, const char *b_path, uint64_t *size)
{
	FILE *a = fopen(a_path, "rb"), *b = fopen(b_path, "rb");
	int ca, cb, ret = -1;

	*size = 0;
	if (a == NULL || b == NULL)
		goto out;
	do {
		ca = getc(a);
		cb = getc(b);
		if (ca != cb)
			goto out;
		if (ca != EOF)
			(*size)++;
	} while (ca != EOF);
	ret = 0;
out:
	if (a != NULL)
		fclose(a);
	if (b != NULL)
		fclose(b);
	return ret;
}

static int usage(const char *prog)
{
	fprintf(stderr, "Usage: %s <input file> <enclave image path> [--simulate]\n", prog);
	return 1;
}

int main(int argc, const char *argv[])
{
	oe_enclave_t *enclave = NULL;
	oe_result_t result;
	uint32_t flags = OE_ENCLAVE_FLAG_DEBUG;
	uint64_t size;
	int ret = 1, r;

	if (argc == 4 && strcmp(argv[3], "--simulate") == 0)
		flags |= OE_ENCLAVE_FLAG_SIMULATE;
	else if (argc != 3)
		return usage(argv[0]);

	result = oe_create_fileencryptor_enclave(argv[2], OE_ENCLAVE_TYPE_AUTO, flags, NULL, 0,
	                                         &enclave);
	if (result != OE_OK) {
		oe_failed("oe_create_fileencryptor_enclave", result);
		goto out;
	}

	printf("Host: encrypting %s to %s\n", argv[1], ENCRYPTED_FILE);
	if (encrypt_file(enclave, argv[1], ENCRYPTED_FILE) != 0)
		goto out;
	if (compare_files(argv[1], ENCRYPTED_FILE, &size) == 0) {
		fprintf(stderr, "Host: the encrypted file equals the input\n");
		goto out;
	}

	printf("Host: decrypting %s with a wrong password\n", ENCRYPTED_FILE);
	r = decrypt_file(enclave, ENCRYPTED_FILE, DECRYPTED_FILE, "not the password");
	if (r != -2) {
		fprintf(stderr, "Host: a wrong password was not refused (%d)\n", r);
		goto out;
	}
	printf("Host: the enclave refused the wrong password\n");

	printf("Host: decrypting %s to %s\n", ENCRYPTED_FILE, DECRYPTED_FILE);
	if (decrypt_file(enclave, ENCRYPTED_FILE, DECRYPTED_FILE, g_password) != 0)
		goto out;
	if (compare_files(argv[1], DECRYPTED_FILE, &size) != 0) {
		fprintf(stderr, "Host: %s differs from %s\n", DECRYPTED_FILE, argv[1]);
		goto out;
	}
	printf("Host: round trip OK: %s equals %s (%llu bytes)\n", DECRYPTED_FILE, argv[1],
	       (unsigned long long)size);
	ret = 0;

out:
	if (enclave != NULL) {
		result = oe_terminate_enclave(enclave);
		if (result != OE_OK) {
			oe_failed("oe_terminate_enclave", result);
			ret = 1;
		}
	}
	return ret;
}
