/*
 * pkcs11_api.h - the part of the PKCS#11 (Cryptoki) v2.40 interface the
 * pkcs11 backend uses: scalar types, the structures it passes to a module,
 * the CKR/CKM/CKA/CKO/CKK constants it names, and the function list a
 * module hands out from C_GetFunctionList.
 *
 * Written from the OASIS PKCS#11 v2.40 base specification (with errata 01)
 * so the build needs no third-party header.  On Linux the spec's packing
 * rules reduce to the C compiler's defaults, and CK_ULONG is unsigned long.
 * Only constants this backend uses are here; the error names live in
 * pkcs11_err.c.
 */
#ifndef TRUSTEDGE_HSM_PKCS11_API_H
#define TRUSTEDGE_HSM_PKCS11_API_H

/* --- scalar types --------------------------------------------------------- */

typedef unsigned char CK_BYTE;
typedef CK_BYTE CK_CHAR;
typedef CK_BYTE CK_UTF8CHAR;
typedef CK_BYTE CK_BBOOL;
typedef unsigned long CK_ULONG;
typedef long CK_LONG;
typedef CK_ULONG CK_FLAGS;
typedef CK_ULONG CK_RV;
typedef CK_ULONG CK_SLOT_ID;
typedef CK_ULONG CK_SESSION_HANDLE;
typedef CK_ULONG CK_OBJECT_HANDLE;
typedef CK_ULONG CK_OBJECT_CLASS;
typedef CK_ULONG CK_KEY_TYPE;
typedef CK_ULONG CK_ATTRIBUTE_TYPE;
typedef CK_ULONG CK_MECHANISM_TYPE;
typedef CK_ULONG CK_USER_TYPE;
typedef CK_ULONG CK_STATE;
typedef CK_ULONG CK_NOTIFICATION;
typedef CK_ULONG CK_RSA_PKCS_MGF_TYPE;
typedef CK_ULONG CK_RSA_PKCS_OAEP_SOURCE_TYPE;
typedef void *CK_VOID_PTR;

#define CK_TRUE           1
#define CK_FALSE          0
#define CK_INVALID_HANDLE 0UL
/* ulValueLen of an attribute the token could not return. */
#define CK_UNAVAILABLE_INFORMATION (~0UL)

/* --- structures ------------------------------------------------------------- */

typedef struct CK_VERSION {
	CK_BYTE major;
	CK_BYTE minor;
} CK_VERSION;

typedef struct CK_INFO {
	CK_VERSION cryptokiVersion;
	CK_UTF8CHAR manufacturerID[32]; /* blank padded, not NUL terminated */
	CK_FLAGS flags;
	CK_UTF8CHAR libraryDescription[32];
	CK_VERSION libraryVersion;
} CK_INFO;

typedef struct CK_SLOT_INFO {
	CK_UTF8CHAR slotDescription[64];
	CK_UTF8CHAR manufacturerID[32];
	CK_FLAGS flags;
	CK_VERSION hardwareVersion;
	CK_VERSION firmwareVersion;
} CK_SLOT_INFO;

typedef struct CK_TOKEN_INFO {
	CK_UTF8CHAR label[32];
	CK_UTF8CHAR manufacturerID[32];
	CK_UTF8CHAR model[16];
	CK_CHAR serialNumber[16];
	CK_FLAGS flags;
	CK_ULONG ulMaxSessionCount;
	CK_ULONG ulSessionCount;
	CK_ULONG ulMaxRwSessionCount;
	CK_ULONG ulRwSessionCount;
	CK_ULONG ulMaxPinLen;
	CK_ULONG ulMinPinLen;
	CK_ULONG ulTotalPublicMemory;
	CK_ULONG ulFreePublicMemory;
	CK_ULONG ulTotalPrivateMemory;
	CK_ULONG ulFreePrivateMemory;
	CK_VERSION hardwareVersion;
	CK_VERSION firmwareVersion;
	CK_CHAR utcTime[16];
} CK_TOKEN_INFO;

typedef struct CK_SESSION_INFO {
	CK_SLOT_ID slotID;
	CK_STATE state;
	CK_FLAGS flags;
	CK_ULONG ulDeviceError;
} CK_SESSION_INFO;

typedef struct CK_ATTRIBUTE {
	CK_ATTRIBUTE_TYPE type;
	CK_VOID_PTR pValue;
	CK_ULONG ulValueLen;
} CK_ATTRIBUTE;

typedef struct CK_MECHANISM {
	CK_MECHANISM_TYPE mechanism;
	CK_VOID_PTR pParameter;
	CK_ULONG ulParameterLen;
} CK_MECHANISM;

typedef struct CK_MECHANISM_INFO {
	CK_ULONG ulMinKeySize;
	CK_ULONG ulMaxKeySize;
	CK_FLAGS flags;
} CK_MECHANISM_INFO;

typedef CK_RV (*CK_CREATEMUTEX)(CK_VOID_PTR *mutex);
typedef CK_RV (*CK_DESTROYMUTEX)(CK_VOID_PTR mutex);
typedef CK_RV (*CK_LOCKMUTEX)(CK_VOID_PTR mutex);
typedef CK_RV (*CK_UNLOCKMUTEX)(CK_VOID_PTR mutex);
typedef CK_RV (*CK_NOTIFY)(CK_SESSION_HANDLE session, CK_NOTIFICATION event,
                           CK_VOID_PTR application);

typedef struct CK_C_INITIALIZE_ARGS {
	CK_CREATEMUTEX CreateMutex;
	CK_DESTROYMUTEX DestroyMutex;
	CK_LOCKMUTEX LockMutex;
	CK_UNLOCKMUTEX UnlockMutex;
	CK_FLAGS flags;
	CK_VOID_PTR pReserved;
} CK_C_INITIALIZE_ARGS;

typedef struct CK_RSA_PKCS_PSS_PARAMS {
	CK_MECHANISM_TYPE hashAlg;
	CK_RSA_PKCS_MGF_TYPE mgf;
	CK_ULONG sLen;
} CK_RSA_PKCS_PSS_PARAMS;

typedef struct CK_RSA_PKCS_OAEP_PARAMS {
	CK_MECHANISM_TYPE hashAlg;
	CK_RSA_PKCS_MGF_TYPE mgf;
	CK_RSA_PKCS_OAEP_SOURCE_TYPE source;
	CK_VOID_PTR pSourceData;
	CK_ULONG ulSourceDataLen;
} CK_RSA_PKCS_OAEP_PARAMS;

/* The layout of v2.40 errata 01 and v3.0, with ulIvBits, which SoftHSM2
 * and current modules read.  (The first v2.40 header lacked ulIvBits; a
 * module built against it would misread this structure.) */
typedef struct CK_GCM_PARAMS {
	CK_BYTE *pIv;
	CK_ULONG ulIvLen;
	CK_ULONG ulIvBits;
	CK_BYTE *pAAD;
	CK_ULONG ulAADLen;
	CK_ULONG ulTagBits;
} CK_GCM_PARAMS;

/* --- the function list ------------------------------------------------------ */

typedef struct CK_FUNCTION_LIST CK_FUNCTION_LIST;

/* A slot this backend never calls keeps its place in the list but gets no
 * prototype. */
typedef CK_RV (*CK_UNUSED_FN)(void);

struct CK_FUNCTION_LIST {
	CK_VERSION version;
	CK_RV (*C_Initialize)(CK_VOID_PTR init_args);
	CK_RV (*C_Finalize)(CK_VOID_PTR reserved);
	CK_RV (*C_GetInfo)(CK_INFO *info);
	CK_RV (*C_GetFunctionList)(CK_FUNCTION_LIST **list);
	CK_RV (*C_GetSlotList)(CK_BBOOL token_present, CK_SLOT_ID *slots, CK_ULONG *count);
	CK_RV (*C_GetSlotInfo)(CK_SLOT_ID slot, CK_SLOT_INFO *info);
	CK_RV (*C_GetTokenInfo)(CK_SLOT_ID slot, CK_TOKEN_INFO *info);
	CK_RV (*C_GetMechanismList)(CK_SLOT_ID slot, CK_MECHANISM_TYPE *list, CK_ULONG *count);
	CK_RV (*C_GetMechanismInfo)
	(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);
	CK_UNUSED_FN C_InitToken;
	CK_UNUSED_FN C_InitPIN;
	CK_UNUSED_FN C_SetPIN;
	CK_RV (*C_OpenSession)
	(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR application, CK_NOTIFY notify,
	 CK_SESSION_HANDLE *session);
	CK_RV (*C_CloseSession)(CK_SESSION_HANDLE session);
	CK_RV (*C_CloseAllSessions)(CK_SLOT_ID slot);
	CK_RV (*C_GetSessionInfo)(CK_SESSION_HANDLE session, CK_SESSION_INFO *info);
	CK_UNUSED_FN C_GetOperationState;
	CK_UNUSED_FN C_SetOperationState;
	CK_RV (*C_Login)
	(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR *pin, CK_ULONG pin_len);
	CK_RV (*C_Logout)(CK_SESSION_HANDLE session);
	CK_RV (*C_CreateObject)
	(CK_SESSION_HANDLE session, CK_ATTRIBUTE *templ, CK_ULONG count, CK_OBJECT_HANDLE *object);
	CK_UNUSED_FN C_CopyObject;
	CK_RV (*C_DestroyObject)(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object);
	CK_UNUSED_FN C_GetObjectSize;
	CK_RV (*C_GetAttributeValue)
	(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE *templ, CK_ULONG count);
	CK_UNUSED_FN C_SetAttributeValue;
	CK_RV (*C_FindObjectsInit)(CK_SESSION_HANDLE session, CK_ATTRIBUTE *templ, CK_ULONG count);
	CK_RV (*C_FindObjects)
	(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE *objects, CK_ULONG max, CK_ULONG *count);
	CK_RV (*C_FindObjectsFinal)(CK_SESSION_HANDLE session);
	CK_RV (*C_EncryptInit)(CK_SESSION_HANDLE session, CK_MECHANISM *mech, CK_OBJECT_HANDLE key);
	CK_RV (*C_Encrypt)
	(CK_SESSION_HANDLE session, CK_BYTE *data, CK_ULONG data_len, CK_BYTE *out,
	 CK_ULONG *out_len);
	CK_UNUSED_FN C_EncryptUpdate;
	CK_UNUSED_FN C_EncryptFinal;
	CK_RV (*C_DecryptInit)(CK_SESSION_HANDLE session, CK_MECHANISM *mech, CK_OBJECT_HANDLE key);
	CK_RV (*C_Decrypt)
	(CK_SESSION_HANDLE session, CK_BYTE *in, CK_ULONG in_len, CK_BYTE *out, CK_ULONG *out_len);
	CK_UNUSED_FN C_DecryptUpdate;
	CK_UNUSED_FN C_DecryptFinal;
	CK_UNUSED_FN C_DigestInit;
	CK_UNUSED_FN C_Digest;
	CK_UNUSED_FN C_DigestUpdate;
	CK_UNUSED_FN C_DigestKey;
	CK_UNUSED_FN C_DigestFinal;
	CK_RV (*C_SignInit)(CK_SESSION_HANDLE session, CK_MECHANISM *mech, CK_OBJECT_HANDLE key);
	CK_RV (*C_Sign)
	(CK_SESSION_HANDLE session, CK_BYTE *data, CK_ULONG data_len, CK_BYTE *sig,
	 CK_ULONG *sig_len);
	CK_UNUSED_FN C_SignUpdate;
	CK_UNUSED_FN C_SignFinal;
	CK_UNUSED_FN C_SignRecoverInit;
	CK_UNUSED_FN C_SignRecover;
	CK_RV (*C_VerifyInit)(CK_SESSION_HANDLE session, CK_MECHANISM *mech, CK_OBJECT_HANDLE key);
	CK_RV (*C_Verify)
	(CK_SESSION_HANDLE session, CK_BYTE *data, CK_ULONG data_len, CK_BYTE *sig,
	 CK_ULONG sig_len);
	CK_UNUSED_FN C_VerifyUpdate;
	CK_UNUSED_FN C_VerifyFinal;
	CK_UNUSED_FN C_VerifyRecoverInit;
	CK_UNUSED_FN C_VerifyRecover;
	CK_UNUSED_FN C_DigestEncryptUpdate;
	CK_UNUSED_FN C_DecryptDigestUpdate;
	CK_UNUSED_FN C_SignEncryptUpdate;
	CK_UNUSED_FN C_DecryptVerifyUpdate;
	CK_RV (*C_GenerateKey)
	(CK_SESSION_HANDLE session, CK_MECHANISM *mech, CK_ATTRIBUTE *templ, CK_ULONG count,
	 CK_OBJECT_HANDLE *key);
	CK_RV (*C_GenerateKeyPair)
	(CK_SESSION_HANDLE session, CK_MECHANISM *mech, CK_ATTRIBUTE *pub_templ, CK_ULONG pub_count,
	 CK_ATTRIBUTE *priv_templ, CK_ULONG priv_count, CK_OBJECT_HANDLE *pub,
	 CK_OBJECT_HANDLE *priv);
	CK_UNUSED_FN C_WrapKey;
	CK_UNUSED_FN C_UnwrapKey;
	CK_UNUSED_FN C_DeriveKey;
	CK_UNUSED_FN C_SeedRandom;
	CK_RV (*C_GenerateRandom)(CK_SESSION_HANDLE session, CK_BYTE *out, CK_ULONG len);
	CK_UNUSED_FN C_GetFunctionStatus;
	CK_UNUSED_FN C_CancelFunction;
	CK_UNUSED_FN C_WaitForSlotEvent;
};

typedef CK_RV (*CK_C_GetFunctionList)(CK_FUNCTION_LIST **list);

/* --- constants ---------------------------------------------------------------- */

/* Return values this backend acts on (every name: pkcs11_err.c). */
#define CKR_OK                           0x000UL
#define CKR_HOST_MEMORY                  0x002UL
#define CKR_GENERAL_ERROR                0x005UL
#define CKR_FUNCTION_FAILED              0x006UL
#define CKR_ARGUMENTS_BAD                0x007UL
#define CKR_ATTRIBUTE_SENSITIVE          0x011UL
#define CKR_ATTRIBUTE_TYPE_INVALID       0x012UL
#define CKR_ATTRIBUTE_VALUE_INVALID      0x013UL
#define CKR_DATA_INVALID                 0x020UL
#define CKR_DATA_LEN_RANGE               0x021UL
#define CKR_DEVICE_REMOVED               0x032UL
#define CKR_ENCRYPTED_DATA_INVALID       0x040UL
#define CKR_ENCRYPTED_DATA_LEN_RANGE     0x041UL
#define CKR_FUNCTION_NOT_SUPPORTED       0x054UL
#define CKR_KEY_HANDLE_INVALID           0x060UL
#define CKR_KEY_SIZE_RANGE               0x062UL
#define CKR_KEY_TYPE_INCONSISTENT        0x063UL
#define CKR_KEY_FUNCTION_NOT_PERMITTED   0x068UL
#define CKR_MECHANISM_INVALID            0x070UL
#define CKR_MECHANISM_PARAM_INVALID      0x071UL
#define CKR_OBJECT_HANDLE_INVALID        0x082UL
#define CKR_OPERATION_ACTIVE             0x090UL
#define CKR_PIN_INCORRECT                0x0A0UL
#define CKR_PIN_INVALID                  0x0A1UL
#define CKR_PIN_LEN_RANGE                0x0A2UL
#define CKR_PIN_EXPIRED                  0x0A3UL
#define CKR_PIN_LOCKED                   0x0A4UL
#define CKR_SESSION_CLOSED               0x0B0UL
#define CKR_SESSION_COUNT                0x0B1UL
#define CKR_SESSION_HANDLE_INVALID       0x0B3UL
#define CKR_SESSION_READ_ONLY            0x0B5UL
#define CKR_SIGNATURE_INVALID            0x0C0UL
#define CKR_SIGNATURE_LEN_RANGE          0x0C1UL
#define CKR_TEMPLATE_INCOMPLETE          0x0D0UL
#define CKR_TEMPLATE_INCONSISTENT        0x0D1UL
#define CKR_TOKEN_NOT_PRESENT            0x0E0UL
#define CKR_TOKEN_WRITE_PROTECTED        0x0E2UL
#define CKR_USER_ALREADY_LOGGED_IN       0x100UL
#define CKR_USER_NOT_LOGGED_IN           0x101UL
#define CKR_USER_PIN_NOT_INITIALIZED     0x102UL
#define CKR_BUFFER_TOO_SMALL             0x150UL
#define CKR_CRYPTOKI_NOT_INITIALIZED     0x190UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED 0x191UL
#define CKR_CURVE_NOT_SUPPORTED          0x140UL
#define CKR_DOMAIN_PARAMS_INVALID        0x130UL

/* Flags. */
#define CKF_TOKEN_PRESENT                 0x1UL /* CK_SLOT_INFO */
#define CKF_RW_SESSION                    0x2UL /* C_OpenSession */
#define CKF_SERIAL_SESSION                0x4UL
#define CKF_OS_LOCKING_OK                 0x2UL /* CK_C_INITIALIZE_ARGS */
#define CKF_LOGIN_REQUIRED                0x4UL /* CK_TOKEN_INFO */
#define CKF_USER_PIN_INITIALIZED          0x8UL
#define CKF_PROTECTED_AUTHENTICATION_PATH 0x100UL
#define CKF_TOKEN_INITIALIZED             0x400UL
#define CKF_USER_PIN_COUNT_LOW            0x10000UL
#define CKF_USER_PIN_FINAL_TRY            0x20000UL
#define CKF_USER_PIN_LOCKED               0x40000UL

/* Users and session states. */
#define CKU_USER              1UL
#define CKS_RO_PUBLIC_SESSION 0UL
#define CKS_RO_USER_FUNCTIONS 1UL
#define CKS_RW_PUBLIC_SESSION 2UL
#define CKS_RW_USER_FUNCTIONS 3UL
#define CKS_RW_SO_FUNCTIONS   4UL

/* Object classes. */
#define CKO_DATA        0UL
#define CKO_CERTIFICATE 1UL
#define CKO_PUBLIC_KEY  2UL
#define CKO_PRIVATE_KEY 3UL
#define CKO_SECRET_KEY  4UL

/* Key types. */
#define CKK_RSA            0x00UL
#define CKK_EC             0x03UL
#define CKK_GENERIC_SECRET 0x10UL
#define CKK_AES            0x1FUL
#define CKK_SHA256_HMAC    0x2BUL
#define CKK_EC_EDWARDS     0x40UL

/* Attributes. */
#define CKA_CLASS               0x000UL
#define CKA_TOKEN               0x001UL
#define CKA_PRIVATE             0x002UL
#define CKA_LABEL               0x003UL
#define CKA_VALUE               0x011UL
#define CKA_KEY_TYPE            0x100UL
#define CKA_ID                  0x102UL
#define CKA_SENSITIVE           0x103UL
#define CKA_ENCRYPT             0x104UL
#define CKA_DECRYPT             0x105UL
#define CKA_WRAP                0x106UL
#define CKA_UNWRAP              0x107UL
#define CKA_SIGN                0x108UL
#define CKA_VERIFY              0x10AUL
#define CKA_DERIVE              0x10CUL
#define CKA_MODULUS             0x120UL
#define CKA_MODULUS_BITS        0x121UL
#define CKA_PUBLIC_EXPONENT     0x122UL
#define CKA_PRIVATE_EXPONENT    0x123UL
#define CKA_PRIME_1             0x124UL
#define CKA_PRIME_2             0x125UL
#define CKA_EXPONENT_1          0x126UL
#define CKA_EXPONENT_2          0x127UL
#define CKA_COEFFICIENT         0x128UL
#define CKA_VALUE_LEN           0x161UL
#define CKA_EXTRACTABLE         0x162UL
#define CKA_EC_PARAMS           0x180UL
#define CKA_EC_POINT            0x181UL
#define CKA_ALWAYS_AUTHENTICATE 0x202UL

/* Mechanisms. */
#define CKM_RSA_PKCS_KEY_PAIR_GEN   0x0000UL
#define CKM_RSA_PKCS                0x0001UL
#define CKM_RSA_X_509               0x0003UL
#define CKM_RSA_PKCS_OAEP           0x0009UL
#define CKM_RSA_PKCS_PSS            0x000DUL
#define CKM_SHA256_RSA_PKCS         0x0040UL
#define CKM_SHA256_RSA_PKCS_PSS     0x0043UL
#define CKM_SHA256                  0x0250UL
#define CKM_SHA256_HMAC             0x0251UL
#define CKM_SHA384                  0x0260UL
#define CKM_GENERIC_SECRET_KEY_GEN  0x0350UL
#define CKM_EC_KEY_PAIR_GEN         0x1040UL
#define CKM_ECDSA                   0x1041UL
#define CKM_ECDSA_SHA256            0x1044UL
#define CKM_ECDSA_SHA384            0x1045UL
#define CKM_EC_EDWARDS_KEY_PAIR_GEN 0x1055UL
#define CKM_EDDSA                   0x1057UL
#define CKM_AES_KEY_GEN             0x1080UL
#define CKM_AES_GCM                 0x1087UL

/* RSA PSS/OAEP mask generation functions and the OAEP label source. */
#define CKG_MGF1_SHA256    0x2UL
#define CKG_MGF1_SHA384    0x3UL
#define CKZ_DATA_SPECIFIED 0x1UL

#endif
