/* testutil.c - helpers shared by the C tests (see testutil.h). */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *tu_tempdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if (asprintf(&path, "%s/te-%s-XXXXXX", base, tag) < 0)
		abort();
	if (mkdtemp(path) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return path;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	chmod(p, 0700);
	return remove(p);
}

void tu_rmtree(char *path)
{
	if (path == NULL)
		return;
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
}

char *tu_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

int tu_write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const uint8_t *p = data;

	if (fd < 0)
		return -1;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return close(fd);
}

int tu_read_file(const char *path, uint8_t **data, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL)
		return -1;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap + 1);
			if (buf == NULL)
				abort();
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[len] = 0;
	*data = buf;
	*n = len;
	return 0;
}

static int run(char *const argv[], char **out)
{
	int pfd[2] = {-1, -1};
	pid_t pid;
	int status;
	int verbose = getenv("TE_TEST_VERBOSE") != NULL;

	if (out != NULL && pipe(pfd) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (out != NULL)
			dup2(pfd[1], 1);
		else if (!verbose)
			dup2(devnull, 1);
		if (!verbose)
			dup2(devnull, 2);
		if (pfd[0] >= 0)
			close(pfd[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (out != NULL) {
		size_t len = 0, cap = 4096;
		char *buf = malloc(cap);
		close(pfd[1]);
		for (;;) {
			if (len + 1 >= cap) {
				cap *= 2;
				buf = realloc(buf, cap);
			}
			ssize_t r = read(pfd[0], buf + len, cap - len - 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			len += (size_t)r;
		}
		buf[len] = 0;
		close(pfd[0]);
		*out = buf;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int tu_run(char *const argv[])
{
	return run(argv, NULL);
}

int tu_run_capture(char *const argv[], char **out)
{
	return run(argv, out);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint8_t *tu_hex(const char *hex, size_t *n)
{
	size_t len = strlen(hex);
	uint8_t *out;

	if (len % 2 != 0)
		abort();
	out = malloc(len / 2 + 1);
	if (out == NULL)
		abort();
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			abort();
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = len / 2;
	return out;
}

int tu_have_program(const char *name)
{
	char *const argv[] = {"sh", "-c", NULL, NULL};
	char *cmd;
	int rc;

	if (asprintf(&cmd, "command -v '%s' >/dev/null 2>&1", name) < 0)
		abort();
	((char **)argv)[2] = cmd;
	rc = tu_run(argv);
	free(cmd);
	return rc == 0;
}
