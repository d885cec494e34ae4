/*
 * fuzz_tee_channel.c - the emulator channel's decoders: the bootstrap
 * datagram a TA reads from its host (te_ch_boot_decode) and the message
 * fields either side reads out of a shared slot (te_ch_msg_read).
 * Byte 0 picks the decoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tee/channel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		struct te_ch_slot slot;
		struct te_ch_msg m;
		uint8_t raw[40] = { 0 };

		memcpy(raw, data + 1, size - 1 < sizeof(raw) ? size - 1 : sizeof(raw));
		memset(&slot, 0, sizeof(slot));
		memcpy((uint8_t *)&slot + 16, raw, 40 - 16);
		memcpy((uint8_t *)&slot + 12, raw + 24, 4);
		if (te_ch_msg_read(&slot, 0xffffffffu, &m) == OE_OK &&
		    (m.size > TE_CH_DATA_CAP || m.out_cap > TE_CH_DATA_CAP))
			abort();
		return 0;
	}
	if (size - 1 > TE_CH_BOOT_MAX)
		return 0;
	{
		/* The decoder terminates names in place and may write one byte
		 * past the datagram: the TA's buffer has that byte. */
		uint8_t *buf = malloc(size);
		struct te_ch_boot *b = malloc(sizeof(*b));

		if (!buf || !b)
			abort();
		memcpy(buf, data + 1, size - 1);
		if (te_ch_boot_decode(buf, size - 1, b) == OE_OK) {
			struct te_ch_layout l;

			for (uint32_t i = 0; i < b->n_names; i++)
				if (strlen(b->names[i]) == 0 || strlen(b->names[i]) > TE_CH_MAX_NAME_LEN)
					abort();
			if (te_ch_layout_compute(b->n_regular, b->n_eworkers, b->n_hworkers, &l) != OE_OK)
				abort();
		}
		free(buf);
		free(b);
	}
	return 0;
}
