/*
 * main.c - te-sign (also installed as oesign): signs a TA's ELF executable
 * with its enclave properties, and dumps a signed image's identity.
 *
 *   te-sign sign -e ENCLAVE [-c CONF] -k KEY.pem [-o OUT]
 *   te-sign dump -e IMAGE [--json]
 *
 * Exit codes: 0 ok, 1 failure (image, key, verification, I/O), 2 usage or
 * config error.  The private key is read into one buffer that is wiped as
 * soon as OpenSSL has parsed it; only the signature leaves the process.
 */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "tee/detail.h"

#ifndef TE_VERSION
#define TE_VERSION "0.0.0"
#endif

#define TE_SIGN_EXIT_OK    0
#define TE_SIGN_EXIT_FAIL  1
#define TE_SIGN_EXIT_USAGE 2

#define TE_SIGN_IMAGE_MAX    ((size_t)512 * 1024 * 1024)
#define TE_SIGN_KEY_FILE_MAX ((size_t)1024 * 1024)

static const char *te_sign_prog = "te-sign";

static void te_sign_usage(FILE *f)
{
	fprintf(f,
	        "Usage: %s sign -e ENCLAVE [-c CONF] -k KEY.pem [-o OUT]\n"
	        "       %s dump -e IMAGE [--json]\n"
	        "       %s --help | --version\n"
	        "\n"
	        "sign   append a signature block to the TA's ELF executable; writes\n"
	        "       ENCLAVE.signed unless -o is given.  Re-signing a signed image\n"
	        "       replaces its block.\n"
	        "  -e, --enclave-image FILE  the TA executable (64-bit ELF)\n"
	        "  -c, --config-file FILE    Name=Value lines: Debug, NumHeapPages,\n"
	        "                            NumStackPages, NumTCS, ProductID,\n"
	        "                            SecurityVersion (defaults 0, 1024, 256,\n"
	        "                            1, 0, 0)\n"
	        "  -k, --key-file FILE       PEM private key: RSA-3072 (e=3 or 65537)\n"
	        "                            or EC P-256\n"
	        "  -o, --output-file FILE    where to write the signed image\n"
	        "dump   verify a signed image and print its identity and properties\n"
	        "  -e, --enclave-image FILE  the signed image\n"
	        "      --json                one JSON object instead of Name=value lines\n"
	        "\n"
	        "Exit status: 0 ok, 1 failure, 2 usage or config error.\n",
	        te_sign_prog, te_sign_prog, te_sign_prog);
}

static int te_sign_usage_error(const char *msg)
{
	fprintf(stderr, "%s: %s\n", te_sign_prog, msg);
	fprintf(stderr, "Try '%s --help'.\n", te_sign_prog);
	return TE_SIGN_EXIT_USAGE;
}

/* Reads a PEM private key.  The file's bytes live only in buf, which is
 * wiped before it is freed whatever happens. */
static EVP_PKEY *te_sign_key_load(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[512];
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;

	if (te_sign_read_file(path, TE_SIGN_KEY_FILE_MAX, &buf, &len, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: key: %s\n", te_sign_prog, err);
		return NULL;
	}
	if (len > INT_MAX) {
		fprintf(stderr, "%s: key: %s: too large\n", te_sign_prog, path);
		goto out;
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio == NULL) {
		fprintf(stderr, "%s: key: out of memory\n", te_sign_prog);
		goto out;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (key == NULL)
		fprintf(stderr, "%s: key: %s: not a PEM private key (or wrong passphrase)\n",
		        te_sign_prog, path);
out:
	BIO_free(bio);
	OPENSSL_cleanse(buf, len);
	free(buf);
	ERR_clear_error();
	return key;
}

static int te_sign_write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes data to path through a temporary file in the same directory, so
 * a reader sees the old file or the whole new one, never a torn one. */
static int te_sign_write_atomic(const char *path, const uint8_t *data, size_t size)
{
	char *dup_dir = strdup(path), *dup_base = strdup(path), *tmp = NULL;
	const char *dir, *base;
	int fd = -1, dfd, rc = -1;
	size_t tmp_len;

	if (dup_dir == NULL || dup_base == NULL) {
		fprintf(stderr, "%s: out of memory\n", te_sign_prog);
		goto out;
	}
	dir = dirname(dup_dir);
	base = basename(dup_base);
	tmp_len = strlen(dir) + strlen(base) + 16;
	tmp = malloc(tmp_len);
	if (tmp == NULL) {
		fprintf(stderr, "%s: out of memory\n", te_sign_prog);
		goto out;
	}
	snprintf(tmp, tmp_len, "%s/.%s.XXXXXX", dir, base);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", te_sign_prog, path, strerror(errno));
		goto out;
	}
	if (te_sign_write_all(fd, data, size) != 0 || fchmod(fd, 0755) != 0 || fsync(fd) != 0) {
		fprintf(stderr, "%s: %s: %s\n", te_sign_prog, tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		fprintf(stderr, "%s: %s: %s\n", te_sign_prog, tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "%s: %s: %s\n", te_sign_prog, path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	/* The rename is durable once the directory is. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL && rc != 0)
		(void)unlink(tmp);
	free(tmp);
	free(dup_dir);
	free(dup_base);
	return rc;
}

static int te_sign_cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"enclave-image", required_argument, NULL, 'e'},
	    {"config-file", required_argument, NULL, 'c'},
	    {"key-file", required_argument, NULL, 'k'},
	    {"output-file", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *enclave = NULL, *conf = NULL, *keyfile = NULL, *outpath = NULL;
	char *defout = NULL;
	char err[512];
	uint8_t *in = NULL, *signed_img = NULL;
	size_t in_size = 0, elf_size = 0, signed_size = 0;
	te_tee_props props;
	EVP_PKEY *key = NULL;
	oe_result_t res;
	int c, rc = TE_SIGN_EXIT_FAIL;

	while ((c = getopt_long(argc, argv, "+e:c:k:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			enclave = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'h':
			te_sign_usage(stdout);
			return TE_SIGN_EXIT_OK;
		default:
			return te_sign_usage_error("sign: bad option");
		}
	}
	if (optind != argc)
		return te_sign_usage_error("sign: unexpected argument");
	if (enclave == NULL || keyfile == NULL)
		return te_sign_usage_error("sign: -e ENCLAVE and -k KEY are required");
	te_sign_props_default(&props);
	if (conf != NULL && te_sign_conf_load(conf, &props, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", te_sign_prog, err);
		return TE_SIGN_EXIT_USAGE;
	}
	if (outpath == NULL) {
		size_t n = strlen(enclave) + sizeof(".signed");

		defout = malloc(n);
		if (defout == NULL) {
			fprintf(stderr, "%s: out of memory\n", te_sign_prog);
			goto out;
		}
		snprintf(defout, n, "%s.signed", enclave);
		outpath = defout;
	}
	if (te_sign_read_file(enclave, TE_SIGN_IMAGE_MAX, &in, &in_size, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", te_sign_prog, err);
		goto out;
	}
	/* A signed input is signed again from its ELF part: the old block
	 * is replaced, never nested. */
	res = te_tee_image_elf_part(in, in_size, &elf_size);
	if (res != OE_OK) {
		fprintf(stderr, "%s: %s: %s\n", te_sign_prog, enclave, te_tee_detail());
		goto out;
	}
	key = te_sign_key_load(keyfile);
	if (key == NULL)
		goto out;
	res = te_tee_image_sign(in, elf_size, &props, key, &signed_img, &signed_size);
	if (res != OE_OK) {
		fprintf(stderr, "%s: %s\n", te_sign_prog, te_tee_detail());
		goto out;
	}
	if (te_sign_write_atomic(outpath, signed_img, signed_size) != 0)
		goto out;
	printf("Created %s\n", outpath);
	rc = TE_SIGN_EXIT_OK;
out:
	EVP_PKEY_free(key);
	free(signed_img);
	free(in);
	free(defout);
	return rc;
}

static void te_sign_hex(char *out, const uint8_t *id)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < TE_TEE_ID_SIZE; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 15];
	}
	out[2 * TE_TEE_ID_SIZE] = '\0';
}

static const char *te_sign_key_type(uint32_t sig_alg)
{
	switch (sig_alg) {
	case TE_TEE_SIG_RSA3072_PKCS1_SHA256:
		return "RSA-3072";
	case TE_TEE_SIG_ECDSA_P256_SHA256:
		return "EC-P256";
	default:
		return "unknown";
	}
}

static void te_sign_dump_print(const te_tee_image *img, int json)
{
	char uid[2 * TE_TEE_ID_SIZE + 1], sid[2 * TE_TEE_ID_SIZE + 1];
	const te_tee_props *p = &img->props;

	te_sign_hex(uid, img->unique_id);
	te_sign_hex(sid, img->signer_id);
	/* Every value is hex, a number or a fixed name: nothing to escape. */
	if (json) {
		printf("{\"unique_id\":\"%s\",\"signer_id\":\"%s\",\"mrenclave\":\"%s\","
		       "\"mrsigner\":\"%s\",\"product_id\":%u,\"security_version\":%u,"
		       "\"debug\":%u,\"num_heap_pages\":%llu,\"num_stack_pages\":%llu,"
		       "\"num_tcs\":%llu,\"key_type\":\"%s\",\"signature_algorithm\":\"%s\","
		       "\"elf_size\":%zu,\"image_size\":%zu}\n",
		       uid, sid, uid, sid, (unsigned)p->product_id, (unsigned)p->security_version,
		       (unsigned)p->debug, (unsigned long long)p->num_heap_pages,
		       (unsigned long long)p->num_stack_pages, (unsigned long long)p->num_tcs,
		       te_sign_key_type(img->sig_alg), te_tee_sig_alg_name(img->sig_alg),
		       img->elf_size, img->size);
		return;
	}
	printf("unique_id=%s\nsigner_id=%s\nmrenclave=%s\nmrsigner=%s\n", uid, sid, uid, sid);
	printf("product_id=%u\nsecurity_version=%u\ndebug=%u\n", (unsigned)p->product_id,
	       (unsigned)p->security_version, (unsigned)p->debug);
	printf("num_heap_pages=%llu\nnum_stack_pages=%llu\nnum_tcs=%llu\n",
	       (unsigned long long)p->num_heap_pages, (unsigned long long)p->num_stack_pages,
	       (unsigned long long)p->num_tcs);
	printf("key_type=%s\nsignature_algorithm=%s\nelf_size=%zu\nimage_size=%zu\n",
	       te_sign_key_type(img->sig_alg), te_tee_sig_alg_name(img->sig_alg), img->elf_size,
	       img->size);
}

static int te_sign_cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"enclave-image", required_argument, NULL, 'e'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *enclave = NULL;
	te_tee_image img;
	oe_result_t res;
	int c, json = 0;

	while ((c = getopt_long(argc, argv, "+e:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			enclave = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			te_sign_usage(stdout);
			return TE_SIGN_EXIT_OK;
		default:
			return te_sign_usage_error("dump: bad option");
		}
	}
	if (optind != argc)
		return te_sign_usage_error("dump: unexpected argument");
	if (enclave == NULL)
		return te_sign_usage_error("dump: -e IMAGE is required");
	memset(&img, 0, sizeof(img));
	res = te_tee_image_load(enclave, &img);
	if (res != OE_OK) {
		fprintf(stderr, "%s: %s: %s (%s)\n", te_sign_prog, enclave, te_tee_detail(),
		        oe_result_str(res));
		return TE_SIGN_EXIT_FAIL;
	}
	te_sign_dump_print(&img, json);
	te_tee_image_free(&img);
	if (fflush(stdout) != 0)
		return TE_SIGN_EXIT_FAIL;
	return TE_SIGN_EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
		const char *slash = strrchr(argv[0], '/');

		te_sign_prog = slash != NULL ? slash + 1 : argv[0];
	}
	if (argc < 2)
		return te_sign_usage_error("missing command (sign or dump)");
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		te_sign_usage(stdout);
		return TE_SIGN_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("%s (trustedge) %s\n", te_sign_prog, TE_VERSION);
		return TE_SIGN_EXIT_OK;
	}
	/* getopt_long starts over on the command's own arguments. */
	optind = 1;
	if (strcmp(cmd, "sign") == 0)
		return te_sign_cmd_sign(argc - 1, argv + 1);
	if (strcmp(cmd, "dump") == 0)
		return te_sign_cmd_dump(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", te_sign_prog, cmd);
	fprintf(stderr, "Try '%s --help'.\n", te_sign_prog);
	return TE_SIGN_EXIT_USAGE;
}
