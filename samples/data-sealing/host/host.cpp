// host.cpp - the data-sealing host: starts the three enclaves, has two of
// them seal a secret under each policy, and asks every enclave to unseal
// every blob.  Each outcome is printed and checked against what the seal
// policies promise:
//
//   OE_SEAL_POLICY_UNIQUE   only the very enclave that sealed (its
//                           measurement) can unseal
//   OE_SEAL_POLICY_PRODUCT  any enclave of the same signer and product id
//                           whose security version is at least the
//                           sealer's can unseal
//
//   datasealing_host <enclave_a_v1.signed> <enclave_a_v2.signed>
//                    <enclave_b.signed> [--simulate]
#include <openenclave/host.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "datasealing_u.h"

namespace
{
const size_t k_max_blob = 64 * 1024;

struct enclave_info {
	const char *name;
	oe_enclave_t *handle;
};

struct sealed_blob {
	std::string sealer;
	std::string policy;
	std::vector<unsigned char> bytes;
};

const char *policy_name(int policy)
{
	return policy == OE_SEAL_POLICY_UNIQUE ? "UNIQUE" : "PRODUCT";
}

bool seal(const enclave_info &enclave, int policy, const std::string &secret, sealed_blob &out)
{
	std::vector<unsigned char> blob(k_max_blob);
	size_t blob_size = 0;
	int ret = OE_FAILURE;
	oe_result_t result = seal_data(enclave.handle, &ret, policy,
	                               reinterpret_cast<const unsigned char *>(secret.data()),
	                               secret.size(), blob.data(), blob.size(), &blob_size);

	if (result == OE_OK)
		result = static_cast<oe_result_t>(ret);
	if (result != OE_OK) {
		std::fprintf(stderr, "%s could not seal with the %s policy: %s\n", enclave.name,
		             policy_name(policy), oe_result_str(result));
		return false;
	}
	blob.resize(blob_size);
	out.sealer = enclave.name;
	out.policy = policy_name(policy);
	out.bytes = blob;
	std::printf("%s sealed \"%s\" with the %s policy (%zu bytes)\n", enclave.name,
	            secret.c_str(), out.policy.c_str(), blob_size);
	return true;
}

// Unseals blob in enclave; prints the outcome and compares it with want
// (OE_OK, or the refusal expected).  True when it matched.
bool try_unseal(const enclave_info &enclave, const sealed_blob &blob, const std::string &secret,
                oe_result_t want)
{
	std::vector<unsigned char> data(k_max_blob);
	size_t data_size = 0;
	int ret = OE_FAILURE;
	oe_result_t result = unseal_data(enclave.handle, &ret, blob.bytes.data(), blob.bytes.size(),
	                                 data.data(), data.size(), &data_size);
	bool ok;

	if (result == OE_OK)
		result = static_cast<oe_result_t>(ret);
	std::string who = enclave.name;
	std::string whose = blob.sealer == enclave.name ? "its" : blob.sealer + "'s";
	if (result == OE_OK) {
		std::string got(reinterpret_cast<const char *>(data.data()), data_size);
		ok = want == OE_OK && got == secret;
		std::printf("%s unseals %s %s blob: OK (\"%s\")\n", who.c_str(), whose.c_str(),
		            blob.policy.c_str(), got.c_str());
	} else {
		ok = result == want;
		std::printf("%s unseals %s %s blob: refused (%s)\n", who.c_str(), whose.c_str(),
		            blob.policy.c_str(), oe_result_str(result));
	}
	if (!ok)
		std::fprintf(stderr, "  unexpected: wanted %s\n",
		             want == OE_OK ? "the secret back" : oe_result_str(want));
	return ok;
}

int usage(const char *prog)
{
	std::fprintf(stderr,
	             "Usage: %s <enclave_a_v1.signed> <enclave_a_v2.signed> <enclave_b.signed> "
	             "[--simulate]\n",
	             prog);
	return 1;
}
} // namespace

int main(int argc, const char *argv[])
{
	uint32_t flags = OE_ENCLAVE_FLAG_DEBUG;
	enclave_info a_v1 = {"enclave_a_v1", nullptr};
	enclave_info a_v2 = {"enclave_a_v2", nullptr};
	enclave_info b = {"enclave_b", nullptr};
	enclave_info *all[] = {&a_v1, &a_v2, &b};
	const std::string secret = "the data we keep";
	sealed_blob v1_unique, v1_product, v2_product;
	bool ok = true;
	int ret = 1;

	if (argc == 5 && std::strcmp(argv[4], "--simulate") == 0)
		flags |= OE_ENCLAVE_FLAG_SIMULATE;
	else if (argc != 4)
		return usage(argv[0]);

	for (int i = 0; i < 3; i++) {
		oe_result_t result = oe_create_datasealing_enclave(
		    argv[i + 1], OE_ENCLAVE_TYPE_AUTO, flags, nullptr, 0, &all[i]->handle);
		if (result != OE_OK) {
			std::fprintf(stderr, "oe_create_datasealing_enclave(%s): %s\n", argv[i + 1],
			             oe_result_str(result));
			goto out;
		}
	}

	if (!seal(a_v1, OE_SEAL_POLICY_UNIQUE, secret, v1_unique) ||
	    !seal(a_v1, OE_SEAL_POLICY_PRODUCT, secret, v1_product) ||
	    !seal(a_v2, OE_SEAL_POLICY_PRODUCT, secret, v2_product))
		goto out;

	std::printf("\n-- the sealing enclave itself\n");
	ok &= try_unseal(a_v1, v1_unique, secret, OE_OK);
	ok &= try_unseal(a_v1, v1_product, secret, OE_OK);
	std::printf("\n-- PRODUCT: same signer and product, a later version may read it\n");
	ok &= try_unseal(a_v2, v1_product, secret, OE_OK);
	ok &= try_unseal(a_v1, v2_product, secret, OE_INVALID_ISVSVN);
	std::printf("\n-- UNIQUE: no other enclave, not even the next version\n");
	ok &= try_unseal(a_v2, v1_unique, secret, OE_CRYPTO_ERROR);
	std::printf("\n-- another product reads nothing\n");
	ok &= try_unseal(b, v1_unique, secret, OE_CRYPTO_ERROR);
	ok &= try_unseal(b, v1_product, secret, OE_CRYPTO_ERROR);

	std::printf("\n%s\n",
	            ok ? "All outcomes as expected." : "Some outcomes were NOT as expected.");
	ret = ok ? 0 : 1;

out:
	for (enclave_info *e : all)
		if (e->handle != nullptr && oe_terminate_enclave(e->handle) != OE_OK)
			ret = 1;
	return ret;
}
