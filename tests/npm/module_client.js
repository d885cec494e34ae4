'use strict';
// module_client.js - a real IoT Edge module client against trustedged.
//
// Runs the npm package azure-iot-device the way an edge module does: with
// the IOTEDGE_* environment (IOTEDGE_WORKLOADURI=unix:///...sock,
// IOTEDGE_MODULEID, IOTEDGE_MODULEGENERATIONID, IOTEDGE_DEVICEID,
// IOTEDGE_IOTHUBHOSTNAME, optional IOTEDGE_GATEWAYHOSTNAME,
// IOTEDGE_APIVERSION, IOTEDGE_AUTHSCHEME=sasToken) it calls
// ModuleClient.fromEnvironment, which builds the SDK's
// IotEdgeAuthenticationProvider and fetches the trust bundle from the
// workload socket (GET /trust-bundle).  Then it asks that same provider
// for the module's credentials (getDeviceCredentials), which makes the
// SDK sign "<sr>\n<se>" through the workload API (POST
// /modules/<m>/genid/<g>/sign) and assemble the SAS token itself.
//
// Nothing connects to an IoT hub (there is none).  On success it prints
// one JSON object to stdout:
//   {"token": "SharedAccessSignature sr=...&sig=...&se=...",
//    "ca": "<PEM trust bundle the client configured its transport with>"}
// On any error it prints {"stage", "name", "message", "status"} to stderr
// (status = the daemon's HTTP status when there was one) and exits 1.
//
// The SDK has no public getter for a client's authentication provider or
// CA; this reads the transport's fields (_authenticationProvider, and the
// options fromEnvironment passed to the MQTT layer), which have been
// stable across the 1.x releases, and checks their types so a change in
// the SDK fails loudly instead of testing something else.

const { ModuleClient, IotEdgeAuthenticationProvider } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');

let provider = null;

function fail(stage, err) {
	const out = {
		stage,
		name: (err && err.name) || 'Error',
		message: String((err && err.message) || err),
		status: null,
	};
	if (err && err.response && typeof err.response.statusCode === 'number')
		out.status = err.response.statusCode;
	if (err && err.responseBody !== undefined)
		out.body = String(err.responseBody);
	process.stderr.write(JSON.stringify(out) + '\n');
	if (provider)
		provider.stop();
	process.exit(1);
}

process.on('uncaughtException', (err) => fail('uncaught', err));

// fromEnvironment takes the edge path only when no connection string is in
// the environment; refuse to test the wrong path.
if (process.env.EdgeHubConnectionString || process.env.IotHubConnectionString)
	fail('environment', new Error('EdgeHubConnectionString/IotHubConnectionString must not be set'));
if (process.env.IOTEDGE_AUTHSCHEME !== 'sasToken')
	fail('environment', new Error('IOTEDGE_AUTHSCHEME must be sasToken'));

ModuleClient.fromEnvironment(Mqtt, (err, client) => {
	if (err)
		return fail('fromEnvironment', err);
	const transport = client && client._transport;
	provider = transport && transport._authenticationProvider;
	if (!(provider instanceof IotEdgeAuthenticationProvider))
		return fail('fromEnvironment',
			new Error('client is not using the IoT Edge authentication provider'));
	const mqttOptions = transport._mqtt && transport._mqtt._options;
	const ca = mqttOptions && mqttOptions.ca;
	if (typeof ca !== 'string' || ca.length === 0)
		return fail('fromEnvironment', new Error('client got no trust bundle (CA)'));

	provider.getDeviceCredentials((err2, credentials) => {
		// getDeviceCredentials starts a renewal timer; stop it so the
		// process ends.
		provider.stop();
		if (err2)
			return fail('getDeviceCredentials', err2);
		const token = credentials && credentials.sharedAccessSignature;
		if (typeof token !== 'string' || !token.startsWith('SharedAccessSignature '))
			return fail('getDeviceCredentials', new Error('no SAS token in the credentials'));
		process.stdout.write(JSON.stringify({ token, ca }) + '\n');
		process.exitCode = 0;
	});
});
