// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of include/enl/vstor_guest.c: how enl_storvsc reads a VSTOR
 * completion.  Every SRB status the protocol names, the flag bits, and the
 * lies a host can tell (short packets, other operations, more bytes than
 * the buffer, unknown status bytes) each get the verdict the module acts on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <enl/vstor_guest.h>

static struct enl_vstor_packet done(u8 srb, u8 scsi, u32 moved, u8 sense_len)
{
	struct enl_vstor_packet p;

	memset(&p, 0, sizeof(p));
	p.operation = ENL_VSTOR_OP_COMPLETE_IO;
	p.srb.length = ENL_VMSCSI_SIZE;
	p.srb.srb_status = srb;
	p.srb.scsi_status = scsi;
	p.srb.data_transfer_length = moved;
	p.srb.sense_info_length = sense_len;
	return p;
}

static struct enl_vstor_verdict verdict(const struct enl_vstor_packet *p,
					u32 buf_len, bool block_rw)
{
	struct enl_vstor_verdict v;

	enl_vstor_guest_verdict(p, sizeof(*p), buf_len, block_rw, &v);
	return v;
}

static void test_success(void **state)
{
	struct enl_vstor_packet p = done(ENL_SRB_STATUS_SUCCESS, 0, 4096, 0);
	struct enl_vstor_verdict v = verdict(&p, 4096, true);

	(void)state;
	assert_int_equal(v.kind, ENL_VSTOR_V_STATUS);
	assert_int_equal(v.scsi_status, 0);
	assert_int_equal(v.resid, 0);
	assert_null(v.bad);

	/* a short INQUIRY: success with the true count */
	p = done(ENL_SRB_STATUS_SUCCESS, 0, 36, 0);
	v = verdict(&p, 255, false);
	assert_int_equal(v.kind, ENL_VSTOR_V_STATUS);
	assert_int_equal(v.resid, 255 - 36);

	/* no data at all (TEST UNIT READY) */
	p = done(ENL_SRB_STATUS_SUCCESS, 0, 0, 0);
	v = verdict(&p, 0, false);
	assert_int_equal(v.kind, ENL_VSTOR_V_STATUS);
}

/* 0x81 (SUCCESS|AUTOSENSE) is success: no endless re-issue as in stock. */
static void test_success_autosense_bit(void **state)
{
	struct enl_vstor_packet p =
		done(ENL_SRB_STATUS_SUCCESS | ENL_SRB_STATUS_AUTOSENSE_VALID, 0, 512, 18);
	struct enl_vstor_verdict v = verdict(&p, 512, true);

	(void)state;
	assert_int_equal(v.kind, ENL_VSTOR_V_STATUS);
	assert_int_equal(v.resid, 0);
	assert_int_equal(v.sense_len, 0);	/* GOOD: no sense to copy */
}

static void test_zero_progress_block_io_refused(void **state)
{
	struct enl_vstor_packet p = done(ENL_SRB_STATUS_SUCCESS, 0, 0, 0);
	struct enl_vstor_verdict v = verdict(&p, 8192, true);

	(void)state;
	assert_int_equal(v.kind, ENL_VSTOR_V_ERROR);
	assert_non_null(v.bad);
	/* the same for a pass-through command is just a short transfer */
	v = verdict(&p, 8192, false);
	assert_int_equal(v.kind, ENL_VSTOR_V_STATUS);
	assert_int_equal(v.resid, 8192);
}

static void test_check_condition_with_sense(void **state)
{
	static const u8 errs[] = {
		ENL_SRB_STATUS_ERROR, ENL_SRB_STATUS_ABORTED,
		ENL_SRB_STATUS_INVALID_REQUEST, ENL_SRB_STATUS_TIMEOUT,
		ENL_SRB_STATUS_SELECTION_TIMEOUT, ENL_SRB_STATUS_DATA_OVERRUN,
		ENL_SRB_STATUS_INTERNAL_ERROR,
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(errs); i++) {
		struct enl_vstor_packet p =
			done(errs[i] | ENL_SRB_STATUS_AUTOSENSE_VALID,
			     ENL_SAM_STAT_CHECK_CONDITION, 0, 18);
		struct enl_vstor_verdict v = verdict(&p, 4096, true);

		assert_int_equal(v.kind, ENL_VSTOR_V_STATUS);
		assert_int_equal(v.scsi_status, ENL_SAM_STAT_CHECK_CONDITION);
		assert_int_equal(v.sense_len, 18);
		assert_int_equal(v.resid, 4096);

		/* the same without the autosense bit: no sense, DID_ERROR */
		p.srb.srb_status = errs[i];
		v = verdict(&p, 4096, true);
		assert_int_equal(v.kind, ENL_VSTOR_V_ERROR);
		assert_int_equal(v.sense_len, 0);
		assert_null(v.bad);
	}
}

static void test_sense_length_clamped(void **state)
{
	struct enl_vstor_packet p =
		done(ENL_SRB_STATUS_ERROR | ENL_SRB_STATUS_AUTOSENSE_VALID,
		     ENL_SAM_STAT_CHECK_CONDITION, 0, 255);
	struct enl_vstor_verdict v = verdict(&p, 0, false);

	(void)state;
	assert_int_equal(v.kind, ENL_VSTOR_V_STATUS);
	assert_int_equal(v.sense_len, ENL_VSTOR_SENSE_SIZE);
}

static void test_lun_and_reset(void **state)
{
	struct enl_vstor_packet p = done(ENL_SRB_STATUS_INVALID_LUN, 0, 0, 0);
	struct enl_vstor_verdict v = verdict(&p, 512, true);

	(void)state;
	assert_int_equal(v.kind, ENL_VSTOR_V_NO_CONNECT);
	assert_int_equal(v.resid, 512);
	p = done(ENL_SRB_STATUS_BUS_RESET, 0, 0, 0);
	v = verdict(&p, 512, true);
	assert_int_equal(v.kind, ENL_VSTOR_V_RESET);
}

static void test_lies_refused(void **state)
{
	struct enl_vstor_packet p = done(ENL_SRB_STATUS_SUCCESS, 0, 4097, 0);
	struct enl_vstor_verdict v = verdict(&p, 4096, true);

	(void)state;
	/* more bytes than the buffer */
	assert_int_equal(v.kind, ENL_VSTOR_V_ERROR);
	assert_non_null(v.bad);
	assert_int_equal(v.resid, 4096);

	/* another operation */
	p = done(ENL_SRB_STATUS_SUCCESS, 0, 512, 0);
	p.operation = ENL_VSTOR_OP_EXECUTE_SRB;
	v = verdict(&p, 512, true);
	assert_int_equal(v.kind, ENL_VSTOR_V_ERROR);
	assert_non_null(v.bad);

	/* unknown SCSI status byte */
	p = done(ENL_SRB_STATUS_SUCCESS, 0x7e, 512, 0);
	v = verdict(&p, 512, true);
	assert_int_equal(v.kind, ENL_VSTOR_V_ERROR);
	assert_non_null(v.bad);

	/* unknown SRB status, pending included */
	p = done(0x3f, 0, 512, 0);
	v = verdict(&p, 512, true);
	assert_int_equal(v.kind, ENL_VSTOR_V_ERROR);
	assert_non_null(v.bad);
	p = done(ENL_SRB_STATUS_PENDING, 0, 512, 0);
	v = verdict(&p, 512, true);
	assert_int_equal(v.kind, ENL_VSTOR_V_ERROR);
}

static void test_short_packet_refused(void **state)
{
	struct enl_vstor_packet p = done(ENL_SRB_STATUS_SUCCESS, 0, 512, 0);
	struct enl_vstor_verdict v;
	u32 len;

	(void)state;
	for (len = 0; len < sizeof(p); len++) {
		enl_vstor_guest_verdict(&p, len, 512, true, &v);
		assert_int_equal(v.kind, ENL_VSTOR_V_ERROR);
		assert_non_null(v.bad);
	}
	/* longer than 64 is fine: the rest is ignored */
	{
		u8 big[96];

		memset(big, 0xee, sizeof(big));
		memcpy(big, &p, sizeof(p));
		enl_vstor_guest_verdict(big, sizeof(big), 512, true, &v);
		assert_int_equal(v.kind, ENL_VSTOR_V_STATUS);
	}
}

/* Every byte pattern of the status fields gives a verdict within bounds. */
static void test_every_status_byte(void **state)
{
	unsigned int srb, scsi;

	(void)state;
	for (srb = 0; srb < 256; srb++) {
		for (scsi = 0; scsi < 256; scsi++) {
			struct enl_vstor_packet p = done((u8)srb, (u8)scsi, 100, 200);
			struct enl_vstor_verdict v = verdict(&p, 4096, true);

			assert_true(v.kind <= ENL_VSTOR_V_RESET);
			assert_true(v.resid <= 4096);
			assert_true(v.sense_len <= ENL_VSTOR_SENSE_SIZE);
			if (v.sense_len)
				assert_int_equal(v.scsi_status, ENL_SAM_STAT_CHECK_CONDITION);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_success_autosense_bit),
		cmocka_unit_test(test_zero_progress_block_io_refused),
		cmocka_unit_test(test_check_condition_with_sense),
		cmocka_unit_test(test_sense_length_clamped),
		cmocka_unit_test(test_lun_and_reset),
		cmocka_unit_test(test_lies_refused),
		cmocka_unit_test(test_short_packet_refused),
		cmocka_unit_test(test_every_status_byte),
	};

	return cmocka_run_group_tests_name("vstor_guest", tests, NULL, NULL);
}
