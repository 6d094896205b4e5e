// SPDX-License-Identifier: GPL-2.0-only
/*
 * The real enl-storvsp against the fake enl-host and guest of
 * test_libvsp_fake.h: it offers the SCSI class, takes an in-flight
 * region, answers the guest's handshake with whole 64-byte completions,
 * writes and reads a GPA-direct buffer in guest RAM to and from its image
 * (block N at offset N * 512), and shows its counters as status keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include <enl/vstor.h>
#include "test_libvsp_fake.h"

static char storvsp_path[4200];

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* The next completion on the channel: its trans_id and 64-byte packet. */
static void guest_completion(struct fk_chan *c, u64 *trans_id,
			     struct enl_vstor_packet *out)
{
	u8 pkt[512] __attribute__((aligned(8)));
	struct enl_pkt pk;
	u32 len;
	int r, tries = 500;

	while ((r = enl_ring_read(&c->h2g, pkt, sizeof(pkt), &len)) == 0 && tries--)
		sleep_ms(10);
	assert_int_equal(r, 1);
	enl_ring_commit(&c->h2g);
	assert_int_equal(enl_pkt_parse(pkt, len, &pk), 0);
	assert_int_equal(pk.type, VMBUS_PKT_COMPLETION);
	/* Linux drops anything shorter than the whole packet */
	assert_int_equal(pk.payload_len, ENL_VSTOR_PACKET_SIZE);
	memcpy(out, pk.payload, sizeof(*out));
	assert_int_equal(out->operation, ENL_VSTOR_OP_COMPLETE_IO);
	*trans_id = pk.trans_id;
}

static void vstor_op(struct fk_chan *c, u32 op, u16 arg, u64 tid,
		     struct enl_vstor_packet *reply)
{
	struct enl_vstor_packet p = { .operation = op,
				      .flags = ENL_VSTOR_FLAG_REQUEST_COMPLETION };
	u64 got;

	if (op == ENL_VSTOR_OP_QUERY_PROTOCOL_VERSION)
		p.version.major_minor = arg;
	fk_guest_send(c, tid, &p, sizeof(p));
	guest_completion(c, &got, reply);
	assert_int_equal(got, tid);
}

/* An EXECUTE_SRB as a GPA-direct packet over [gpa, gpa + len). */
static void guest_srb(struct fk_chan *c, u64 tid, const u8 *cdb, u8 cdb_len,
		      u8 dir, u64 gpa, u32 len)
{
	struct enl_vstor_packet p = { .operation = ENL_VSTOR_OP_EXECUTE_SRB,
				      .flags = ENL_VSTOR_FLAG_REQUEST_COMPLETION };
	u8 hdr[8 + 8 + 8 * 8];
	u32 off = (u32)(gpa % 4096), npfn = (off + len + 4095) / 4096, i;
	struct vmbus_gpa_range g = { .byte_count = len, .byte_offset = off };
	u32 rc = 1, zero = 0;
	struct enl_iov iov[3];
	struct vmbus_pkt_desc d;
	u64 one = 1;
	bool sig;

	p.srb.length = ENL_VMSCSI_SIZE;
	p.srb.cdb_length = cdb_len;
	p.srb.sense_info_length = ENL_VSTOR_SENSE_SIZE;
	p.srb.data_in = dir;
	p.srb.data_transfer_length = len;
	memcpy(p.srb.cdb, cdb, cdb_len);
	assert_true(npfn <= 8);
	memcpy(hdr, &zero, 4);
	memcpy(hdr + 4, &rc, 4);
	memcpy(hdr + 8, &g, 8);
	for (i = 0; i < npfn; i++) {
		u64 pfn = gpa / 4096 + i;

		memcpy(hdr + 16 + 8 * i, &pfn, 8);
	}
	/* GPA direct: the descriptor's offset8 covers the range list */
	d.type = VMBUS_PKT_GPA_DIRECT;
	d.offset8 = (u16)((16 + 16 + 8 * npfn) / 8);
	d.len8 = (u16)((16 + 16 + 8 * npfn + sizeof(p)) / 8);
	d.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	d.trans_id = tid;
	iov[0] = (struct enl_iov){ &d, sizeof(d) };
	iov[1] = (struct enl_iov){ hdr, 16 + 8 * npfn };
	iov[2] = (struct enl_iov){ &p, sizeof(p) };
	assert_int_equal(enl_ring_write(&c->g2h, iov, 3, &sig), 0);
	assert_int_equal(write(c->kick_fd, &one, 8), 8);
}

/* A host notice in the guest's ring: inband, trans_id 0, 64 bytes. */
static void guest_notice(struct fk_chan *c, u32 op)
{
	u8 pkt[512] __attribute__((aligned(8)));
	struct enl_vstor_packet p;
	struct enl_pkt pk;
	u32 len;
	int r, tries = 500;

	while ((r = enl_ring_read(&c->h2g, pkt, sizeof(pkt), &len)) == 0 && tries--)
		sleep_ms(10);
	assert_int_equal(r, 1);
	enl_ring_commit(&c->h2g);
	assert_int_equal(enl_pkt_parse(pkt, len, &pk), 0);
	assert_int_equal(pk.type, VMBUS_PKT_INBAND);
	assert_int_equal(pk.trans_id, 0);
	assert_int_equal(pk.payload_len, ENL_VSTOR_PACKET_SIZE);
	memcpy(&p, pk.payload, sizeof(p));
	assert_int_equal(p.operation, op);
}

/* A command as enl-host relays it (enlctl disk ...): the daemon's status. */
static u32 daemon_cmd(struct fk_host *h, const char *cmd, char *text, size_t cap)
{
	static struct vsp_daemon_cmd m;
	static u32 id = 10;
	const struct vsp_daemon_reply *r;

	memset(&m, 0, sizeof(m));
	m.hdr.type = VSP_DAEMON_CMD;
	m.hdr.len = sizeof(m);
	m.req_id = ++id;
	snprintf(m.cmd, sizeof(m.cmd), "%s", cmd);
	fk_send(h->fd, &m, sizeof(m), NULL, 0);
	fk_expect(h, VSP_DAEMON_REPLY, 5000);
	r = (const void *)h->buf;
	assert_int_equal(r->req_id, id);
	snprintf(text, cap, "%s", r->text);
	return r->status;
}

/* TEST UNIT READY to lun: the SRB status. */
static u8 tur(struct fk_chan *c, u64 tid, u8 lun)
{
	struct enl_vstor_packet p = { .operation = ENL_VSTOR_OP_EXECUTE_SRB }, r;
	u64 got;

	p.srb.length = ENL_VMSCSI_SIZE;
	p.srb.lun = lun;
	p.srb.cdb_length = 6;
	p.srb.data_in = ENL_VSTOR_DATA_NONE;
	fk_guest_send(c, tid, &p, sizeof(p));
	guest_completion(c, &got, &r);
	assert_int_equal(got, tid);
	return r.srb.srb_status;
}

static void test_daemon_e2e(void **state)
{
	static const enl_guid_t scsi = {{ ENL_VSTOR_SCSI_GUID_BYTES }};
	char sock[108], img[] = "/tmp/test_storvsp_img.XXXXXX", disk[160];
	struct enl_vstor_packet r;
	struct vsp_offer off;
	struct vsp_inflight_msg m;
	struct fk_chan c;
	struct fk_host h;
	u8 wr10[10] = { 0x2A, 0, 0, 0, 0, 33, 0, 0, 8, 0 };
	u8 rd10[10] = { 0x28, 0, 0, 0, 0, 33, 0, 0, 8, 0 };
	u8 file[4096];
	int lfd, fd, ifd, status, i, region;
	bool seen;
	u64 tid;
	pid_t pid;

	if (access(storvsp_path, X_OK)) {
		print_message("  %s not built: skipped\n", storvsp_path);
		skip();
	}
	ifd = mkstemp(img);
	assert_true(ifd >= 0);
	assert_int_equal(ftruncate(ifd, 1 << 20), 0);
	snprintf(disk, sizeof(disk), "%s,serial=E2E", img);
	snprintf(sock, sizeof(sock), "/tmp/enl-test-storvsp-%d.sock", (int)getpid());
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		assert_true(lfd >= 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		unlink(sock);
		assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(listen(lfd, 2), 0);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(storvsp_path, "enl-storvsp", "--vm", sock, "--disk", disk, "-q",
		      (char *)NULL);
		_exit(127);
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	fk_init(&h, fd, 4 << 20);
	fk_expect(&h, VSP_HELLO, 5000);
	fk_welcome(&h);
	fk_expect(&h, VSP_OFFER, 5000);
	memcpy(&off, h.buf, sizeof(off));
	assert_memory_equal(&off.if_type, &scsi, sizeof(scsi));
	fk_offer_result(&h, off.cookie, 0, 1);
	/* the in-flight region it asks for */
	fk_expect(&h, VSP_INFLIGHT_GET, 5000);
	memcpy(&m, h.buf, sizeof(m));
	region = memfd_create("inflight", MFD_CLOEXEC);
	assert_int_equal(ftruncate(region, (off_t)m.size), 0);
	m.hdr.type = VSP_INFLIGHT;
	m.status = 0;
	fk_send(h.fd, &m, sizeof(m), &region, 1);
	/*
	 * 2 vCPUs: it asks for the subchannel a restarted daemon would take
	 * over, only one that exists (none here: ENOENT, nothing created)
	 */
	fk_expect(&h, VSP_OFFER, 5000);
	memcpy(&off, h.buf, sizeof(off));
	assert_int_equal(off.sub_channel_index, 1);
	assert_int_equal(off.flags, VSP_OFFER_EXISTING);
	fk_offer_result(&h, off.cookie, ENOENT, 0);

	fk_chan_init(&h, &c, 1, 0);
	fk_open(&h, &c);
	fk_expect(&h, VSP_OPEN_REPLY, 5000);
	assert_int_equal(fk_open_reply(&h).status, 0);

	/*
	 * An SRB before any handshake packet: a daemon started while the
	 * guest runs takes it as the guest carrying on (a restart).
	 */
	{
		struct enl_vstor_packet p = { .operation = ENL_VSTOR_OP_EXECUTE_SRB };

		p.srb.length = ENL_VMSCSI_SIZE;
		p.srb.cdb_length = 6;		/* TEST UNIT READY */
		p.srb.data_in = ENL_VSTOR_DATA_NONE;
		fk_guest_send(&c, 40, &p, sizeof(p));
		guest_completion(&c, &tid, &r);
		assert_int_equal(tid, 40);
		assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_SUCCESS);
	}
	/* then the handshake of a guest driver that (re)loads */
	vstor_op(&c, ENL_VSTOR_OP_BEGIN_INIT, 0, ENL_VSTOR_TRANS_ID_INIT, &r);
	assert_int_equal(r.status, 0);
	vstor_op(&c, ENL_VSTOR_OP_QUERY_PROTOCOL_VERSION, ENL_VSTOR_VER_WIN10,
		 ENL_VSTOR_TRANS_ID_INIT, &r);
	assert_int_equal(r.status, 0);
	vstor_op(&c, ENL_VSTOR_OP_QUERY_PROPERTIES, 0, ENL_VSTOR_TRANS_ID_INIT, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.props.max_transfer_bytes, ENL_VSTOR_MAX_TRANSFER);
	/* WELCOME said 2 vCPUs: one subchannel at most */
	assert_int_equal(r.props.max_channel_cnt, 1);
	vstor_op(&c, ENL_VSTOR_OP_END_INIT, 0, ENL_VSTOR_TRANS_ID_INIT, &r);
	assert_int_equal(r.status, 0);

	/* WRITE(10) of 8 blocks at LBA 33 from a buffer across two pages */
	for (i = 0; i < 4096; i++)
		h.ram[0x200800 + i] = (u8)(i * 13 + 5);
	guest_srb(&c, 41, wr10, 10, ENL_VSTOR_DATA_WRITE, 0x200800, 4096);
	guest_completion(&c, &tid, &r);
	assert_int_equal(tid, 41);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_SUCCESS);
	assert_int_equal(r.srb.data_transfer_length, 4096);
	assert_int_equal(pread(ifd, file, 4096, 33 * 512), 4096);
	assert_memory_equal(file, h.ram + 0x200800, 4096);
	/* and back into another buffer */
	guest_srb(&c, 42, rd10, 10, ENL_VSTOR_DATA_READ, 0x300000, 4096);
	guest_completion(&c, &tid, &r);
	assert_int_equal(tid, 42);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_SUCCESS);
	assert_memory_equal(h.ram + 0x300000, h.ram + 0x200800, 4096);
	/* a burst: 16 writes in the ring before the first completion is
	 * read; each completes once, in any order, with its data in place */
	{
		bool done[16] = { false };
		int k;

		for (k = 0; k < 16; k++) {
			u8 cdb[10] = { 0x2A, 0, 0, 0, 0x01, (u8)(8 * k), 0, 0, 8, 0 };

			memset(h.ram + 0x280000 + 4096 * k, 0xA0 + k, 4096);
			guest_srb(&c, 100 + k, cdb, 10, ENL_VSTOR_DATA_WRITE,
				  0x280000 + 4096 * k, 4096);
		}
		for (k = 0; k < 16; k++) {
			guest_completion(&c, &tid, &r);
			assert_true(tid >= 100 && tid < 116 && !done[tid - 100]);
			done[tid - 100] = true;
			assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_SUCCESS);
			assert_int_equal(r.srb.data_transfer_length, 4096);
		}
		for (k = 0; k < 16; k++) {
			assert_int_equal(pread(ifd, file, 4096, (256 + 8 * k) * 512), 4096);
			assert_memory_equal(file, h.ram + 0x280000 + 4096 * k, 4096);
		}
	}
	/*
	 * Hot plug: "add" opens a second image at LUN 3 and tells the guest
	 * to rescan; "remove" drops it (INVALID_LUN from then on) and tells
	 * it again; bad commands are refused with a reason.
	 */
	{
		char img2[] = "/tmp/test_storvsp_hot.XXXXXX", cmd[256], text[512];
		int fd2 = mkstemp(img2);

		assert_true(fd2 >= 0);
		assert_int_equal(ftruncate(fd2, 1 << 20), 0);
		assert_int_equal(tur(&c, 50, 3), ENL_SRB_STATUS_INVALID_LUN);
		snprintf(cmd, sizeof(cmd), "add %s,lun=3,serial=HOT3", img2);
		assert_int_equal(daemon_cmd(&h, cmd, text, sizeof(text)), 0);
		assert_non_null(strstr(text, "lun 3"));
		guest_notice(&c, ENL_VSTOR_OP_ENUMERATE_BUS);
		assert_int_equal(tur(&c, 51, 3), ENL_SRB_STATUS_SUCCESS);
		/* the LUN is taken now; a missing file; nonsense */
		assert_int_equal(daemon_cmd(&h, cmd, text, sizeof(text)), EEXIST);
		assert_int_equal(daemon_cmd(&h, "add /nonexistent/x,lun=4", text,
					    sizeof(text)), EIO);
		assert_non_null(strstr(text, "/nonexistent/x"));
		assert_int_equal(daemon_cmd(&h, "add", text, sizeof(text)), EINVAL);
		assert_int_equal(daemon_cmd(&h, "remove 64", text, sizeof(text)), EINVAL);
		assert_int_equal(daemon_cmd(&h, "remove 5", text, sizeof(text)), ENOENT);
		assert_int_equal(daemon_cmd(&h, "remove 3", text, sizeof(text)), 0);
		guest_notice(&c, ENL_VSTOR_OP_ENUMERATE_BUS);
		assert_int_equal(tur(&c, 52, 3), ENL_SRB_STATUS_INVALID_LUN);
		assert_int_equal(tur(&c, 53, 0), ENL_SRB_STATUS_SUCCESS);
		/* a removed disk's slot is reused: more adds than slots */
		for (int j = 0; j < (int)ENL_VSTOR_MAX_LUNS + 6; j++) {
			assert_int_equal(daemon_cmd(&h, cmd, text, sizeof(text)), 0);
			guest_notice(&c, ENL_VSTOR_OP_ENUMERATE_BUS);
			assert_int_equal(daemon_cmd(&h, "remove 3", text, sizeof(text)), 0);
			guest_notice(&c, ENL_VSTOR_OP_ENUMERATE_BUS);
		}
		assert_int_equal(tur(&c, 54, 3), ENL_SRB_STATUS_INVALID_LUN);
		close(fd2);
		unlink(img2);
	}

	/* a buffer outside guest RAM: refused, the image untouched */
	guest_srb(&c, 43, wr10, 10, ENL_VSTOR_DATA_WRITE, (4 << 20) - 2048, 4096);
	guest_completion(&c, &tid, &r);
	assert_int_equal(tid, 43);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_INVALID_REQUEST);

	/* the counters reach the status keys within the refresh period */
	seen = false;
	for (i = 0; i < 30 && !seen; i++) {
		if (fk_recv(&h, 100) < 0)
			break;
		seen = !strcmp(h.last_key, "lun0") && strstr(h.last_val, "wr=69632") &&
		       strstr(h.last_val, "rd=4096");
	}
	assert_true(seen);

	/* "disks": the image's absolute path, as enlctl backup copies it */
	{
		static struct vsp_daemon_cmd cmd;
		const struct vsp_daemon_reply *rep = (const void *)h.buf;
		char want[PATH_MAX + 20], real[PATH_MAX];
		int t;

		assert_non_null(realpath(img, real));
		snprintf(want, sizeof(want), "lun 0 rw %s\n", real);
		memset(&cmd, 0, sizeof(cmd));
		cmd.hdr.type = VSP_DAEMON_CMD;
		cmd.hdr.len = sizeof(cmd);
		cmd.req_id = 7;
		strcpy(cmd.cmd, "disks");
		fk_send(h.fd, &cmd, sizeof(cmd), NULL, 0);
		while ((t = fk_recv(&h, 5000)) > 0 && t != VSP_DAEMON_REPLY)
			;
		assert_int_equal(t, VSP_DAEMON_REPLY);
		assert_int_equal(rep->req_id, 7);
		assert_int_equal(rep->status, 0);
		assert_string_equal(rep->text, want);
		cmd.req_id = 8;
		strcpy(cmd.cmd, "format");
		fk_send(h.fd, &cmd, sizeof(cmd), NULL, 0);
		while ((t = fk_recv(&h, 5000)) > 0 && t != VSP_DAEMON_REPLY)
			;
		assert_int_equal(t, VSP_DAEMON_REPLY);
		assert_int_equal(rep->req_id, 8);
		assert_int_equal(rep->status, ENOENT);
	}

	close(h.fd);		/* enl-host goes away: the daemon exits 0 */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	fk_chan_fini(&c);
	h.fd = -1;
	fk_fini(&h);
	close(region);
	close(lfd);
	close(ifd);
	unlink(sock);
	unlink(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daemon_e2e),
	};
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	/* the daemon next to this test: $(BUILD)/tests/unit/../../bin */
	if (n > 0) {
		self[n] = 0;
		*strrchr(self, '/') = 0;
		snprintf(storvsp_path, sizeof(storvsp_path), "%s/../../bin/enl-storvsp", self);
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
