/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: loading a config in the background
 *
 * A reload must never stall the checks or a withdraw, whatever the file: a
 * large valid config, or one with thousands of errors, can take a second to
 * parse and validate. So the daemon loads the new file on a short-lived
 * thread that does nothing but config_load (pure: no loop, no logging), and
 * the loop goes on; the result comes back through a pipe on the loop, where
 * everything else happens as before. This is the one place anycheck runs a
 * second thread, and it shares no data with the loop until it has finished.
 */
#ifndef ANYCHECK_CONFIG_LOADER_H
#define ANYCHECK_CONFIG_LOADER_H

#include "config.h"
#include "loop.h"

struct config_loader;

/* Called on the loop when the load ended: config (owned by the callee) or
 * NULL with errors filled (the callee clears them). The loader is freed
 * after the callback returns. */
typedef void (*config_loader_done)(struct config *config,
    struct config_errors *errors, void *arg);

/* Start loading path; NULL when the thread cannot be started (logged; the
 * caller may load synchronously instead). */
struct config_loader *config_loader_start(struct loop *loop, const char *path,
    config_loader_done done, void *arg);

/* Give up on a load in progress (the exit): done is never called; a
 * thread still reading is left to finish on its own and frees what it
 * loaded. */
void config_loader_abandon(struct config_loader *loader);

#endif
