// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "sdnotify.h"

/* Write end of the pipe to the waiting parent; -1 when not detached. */
static int ready_fd = -1;

/* The parent: readiness text from the child, or its exit status. */
static void wait_child(int rfd, pid_t child)
{
	char msg[256];
	size_t have = 0;
	int status;

	for (;;) {
		ssize_t n = read(rfd, msg + have, sizeof(msg) - 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		if (have == sizeof(msg) - 1)
			break;
	}
	msg[have] = 0;
	if (have && msg[0] == 'R') {
		int r = sd_notify_sendf("MAINPID=%ld\nREADY=1\nSTATUS=%s",
					(long)child, msg + 1);

		if (r < 0)
			fprintf(stderr, "tgtxd: cannot notify systemd: %s\n",
				strerror(-r));
		_exit(0);
	}
	/* The child gave up (its errors are on our stderr): report how. */
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
	fprintf(stderr, "tgtxd: start-up failed: killed by signal %d\n",
		WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	_exit(1);
}

int daemon_detach(void)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid > 0) {
		close(p[1]);
		wait_child(p[0], pid);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() < 0 || chdir("/") < 0)
		return -errno;
	return 0;
}

void daemon_ready(const char *status)
{
	char msg[256];
	ssize_t w;
	int fd, r;

	if (ready_fd < 0) {
		r = sd_notify_sendf("READY=1\nSTATUS=%s", status);
		if (r < 0)
			log_warn("cannot notify systemd: %s", strerror(-r));
		return;
	}
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	/* One write (< PIPE_BUF, atomic); a vanished parent changes nothing. */
	r = snprintf(msg, sizeof(msg), "R%s", status);
	w = write(ready_fd, msg,
		  r < (int)sizeof(msg) ? (size_t)r : strlen(msg));
	(void)w;
	close(ready_fd);
	ready_fd = -1;
}

void daemon_test_delay(void)
{
	const char *v = getenv("TGTX_TEST_STARTUP_DELAY_MS");
	long ms = v ? strtol(v, NULL, 10) : 0;
	struct timespec ts;

	if (ms <= 0)
		return;
	if (ms > 10000)
		ms = 10000;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void daemon_stopping(void)
{
	sd_notify_send("STOPPING=1\nSTATUS=stopping");
}

int daemon_watch_signals(struct loop_fd *lfd, loop_fd_cb cb)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	return loop_add_fd(lfd, fd, EPOLLIN, cb);
}
