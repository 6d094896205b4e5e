// SPDX-License-Identifier: GPL-2.0-only
/*
 * A fixed set of threads that run SRBs, so that a channel's worker can
 * hand requests over and read the next one while earlier ones wait for the
 * disk (several requests in flight per channel, preadv/pwritev blocking in
 * each thread).  FIFO; a task is the packet copied out of the ring.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storvsp.h"

static void *pool_main(void *arg)
{
	struct storvsp_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct storvsp_task *t;

		while (!p->head && !p->stop)
			pthread_cond_wait(&p->cond, &p->lock);
		if (!p->head)
			break;		/* stopping, and nothing left */
		t = p->head;
		p->head = t->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);
		p->run(t);
		free(t);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int storvsp_pool_start(struct storvsp_pool *p, unsigned int n,
		       void (*run)(struct storvsp_task *t))
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	if (!n || n > STORVSP_POOL_MAX)
		return -EINVAL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->run = run;
	for (i = 0; i < n; i++) {
		if (pthread_create(&p->th[i], NULL, pool_main, p)) {
			storvsp_pool_stop(p);
			return -EAGAIN;
		}
		p->n++;
	}
	return 0;
}

struct storvsp_task *storvsp_task_new(const void *pkt, u32 len)
{
	struct storvsp_task *t = malloc(sizeof(*t) + len);

	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->len = len;
	memcpy(t->pkt, pkt, len);
	return t;
}

void storvsp_pool_add(struct storvsp_pool *p, struct storvsp_task *t)
{
	t->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = t;
	else
		p->head = t;
	p->tail = t;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* Finish what is queued, then join the threads. */
void storvsp_pool_stop(struct storvsp_pool *p)
{
	unsigned int i;

	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n; i++)
		pthread_join(p->th[i], NULL);
	p->n = 0;
}
