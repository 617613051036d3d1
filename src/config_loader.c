/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: loading a config in the background (implementation)
 *
 * The thread owns the loader until it writes one byte to the pipe; the loop
 * then owns it again. An abandoned loader is handed to the thread for good
 * (a flag under a mutex decides who frees it), so neither side ever waits
 * for the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "config_loader.h"
#include "log.h"

struct config_loader {
	struct loop *loop;
	char *path;
	config_loader_done done;
	void *arg;
	int pipe[2];
	pthread_t thread;
	pthread_mutex_t lock;
	bool finished;                  /* the thread is done with it */
	bool abandoned;                 /* the loop is done with it */
	struct config *config;
	struct config_errors errors;
};

static void
config_loader_free(struct config_loader *loader)
{
	if (loader->pipe[0] != -1)
		close(loader->pipe[0]);
	if (loader->pipe[1] != -1)
		close(loader->pipe[1]);
	config_free(loader->config);
	config_errors_clear(&loader->errors);
	pthread_mutex_destroy(&loader->lock);
	free(loader->path);
	free(loader);
}

static void *
config_loader_run(void *arg)
{
	struct config_loader *loader = arg;
	bool abandoned;
	char byte = 1;

	if (config_load(loader->path, &loader->config, &loader->errors) != 0)
		loader->config = NULL;
	/* Under the lock, so an abandon either sees the byte written and
	 * joins, or leaves the loader to us. */
	pthread_mutex_lock(&loader->lock);
	loader->finished = true;
	abandoned = loader->abandoned;
	if (!abandoned)
		while (write(loader->pipe[1], &byte, 1) == -1 &&
		    errno == EINTR)
			;
	pthread_mutex_unlock(&loader->lock);
	if (abandoned)
		config_loader_free(loader);
	return NULL;
}

static void
config_loader_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct config_loader *loader = arg;
	struct config *config = loader->config;

	(void)events;
	loop_remove_fd(loop, fd);
	pthread_join(loader->thread, NULL);
	loader->config = NULL;
	loader->done(config, &loader->errors, loader->arg);
	config_loader_free(loader);
}

struct config_loader *
config_loader_start(struct loop *loop, const char *path,
    config_loader_done done, void *arg)
{
	struct config_loader *loader = xcalloc(1, sizeof(*loader));
	int rc;

	loader->loop = loop;
	loader->path = xstrdup(path);
	loader->done = done;
	loader->arg = arg;
	config_errors_init(&loader->errors);
	pthread_mutex_init(&loader->lock, NULL);
	loader->pipe[0] = loader->pipe[1] = -1;
	if (pipe2(loader->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_warn("cannot load %s in the background: pipe", path);
		config_loader_free(loader);
		return NULL;
	}
	if (loop_add_fd(loop, loader->pipe[0], EPOLLIN, config_loader_ready,
	    loader) != 0) {
		config_loader_free(loader);
		return NULL;
	}
	rc = pthread_create(&loader->thread, NULL, config_loader_run, loader);
	if (rc != 0) {
		errno = rc;
		log_warn("cannot load %s in the background: pthread_create",
		    path);
		loop_remove_fd(loop, loader->pipe[0]);
		config_loader_free(loader);
		return NULL;
	}
	return loader;
}

void
config_loader_abandon(struct config_loader *loader)
{
	bool finished;

	loop_remove_fd(loader->loop, loader->pipe[0]);
	pthread_mutex_lock(&loader->lock);
	loader->abandoned = true;
	finished = loader->finished;
	pthread_mutex_unlock(&loader->lock);
	if (finished) {
		pthread_join(loader->thread, NULL);
		config_loader_free(loader);
	} else
		pthread_detach(loader->thread);
}
