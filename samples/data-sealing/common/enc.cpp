// enc.cpp - the enclave side of the data-sealing sample, the same code in
// all three enclaves: what a blob may be unsealed by depends only on the
// properties each enclave was signed with (product id, security version)
// and on the seal policy.
#include <openenclave/enclave.h>
#include <openenclave/seal.h>

#include <cstring>

#include "datasealing_t.h"

// Authenticated with every blob but not stored in it: unsealing needs the
// same bytes.
static const char k_aad[] = "data-sealing sample";

// A buffer that oe_seal / oe_unseal allocated, wiped and freed when it
// goes out of scope.
struct sealed_buffer {
	uint8_t *data = nullptr;
	size_t size = 0;

	sealed_buffer() = default;
	sealed_buffer(const sealed_buffer &) = delete;
	sealed_buffer &operator=(const sealed_buffer &) = delete;
	~sealed_buffer()
	{
		if (data != nullptr)
			std::memset(data, 0, size);
		oe_free(data);
	}
};

int seal_data(int policy, const unsigned char *data, size_t data_size, unsigned char *blob,
              size_t blob_cap, size_t *blob_size)
{
	const oe_seal_setting_t settings[] = {OE_SEAL_SET_POLICY(policy)};
	sealed_buffer sealed;
	oe_result_t result =
	    oe_seal(nullptr, settings, 1, data, data_size, reinterpret_cast<const uint8_t *>(k_aad),
	            sizeof(k_aad), &sealed.data, &sealed.size);

	if (result != OE_OK)
		return result;
	if (sealed.size > blob_cap)
		return OE_BUFFER_TOO_SMALL;
	std::memcpy(blob, sealed.data, sealed.size);
	*blob_size = sealed.size;
	return OE_OK;
}

int unseal_data(const unsigned char *blob, size_t blob_size, unsigned char *data, size_t data_cap,
                size_t *data_size)
{
	sealed_buffer plain;
	oe_result_t result = oe_unseal(blob, blob_size, reinterpret_cast<const uint8_t *>(k_aad),
	                               sizeof(k_aad), &plain.data, &plain.size);

	if (result != OE_OK)
		return result;
	if (plain.size > data_cap)
		return OE_BUFFER_TOO_SMALL;
	std::memcpy(data, plain.data, plain.size);
	*data_size = plain.size;
	return OE_OK;
}
