/* cellctl --sock PATH [--json] COMMAND: one request to a cellvm's control
 * API, its answer on stdout (readable, or JSON for scripts), problems on
 * stderr, and an exit code a script can branch on. */
#include "api_client.h"
#include "api_json.h"
#include "api_msg.h"
#include "cellctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fputs("usage: cellctl [--sock PATH] [--json] [--timeout MS] COMMAND\n"
	      "\n"
	      "commands:\n"
	      "  status               state, id, uptime, machine and devices\n"
	      "  config               the machine as JSON (the cellvm --config-file format)\n"
	      "  configure FILE       send a machine in that JSON format (before start)\n"
	      "  start                boot the configured machine\n"
	      "  pause | resume       stop and restart the vCPUs\n"
	      "  shutdown [MS]        ask the guest to shut down (Ctrl-Alt-Del); stop the\n"
	      "                       VM after MS milliseconds (default 5000) if it has not\n"
	      "  kill                 stop the VM and cellvm at once\n"
	      "  metrics              exit counts, device counters, CPU time and memory\n"
	      "\n"
	      "  --sock PATH          cellvm's --api-sock (default: $CELLVM_API_SOCK)\n"
	      "  --json               print the reply as JSON\n"
	      "  --timeout MS         how long to wait for a reply (default 10000)\n"
	      "\n"
	      "exit status: 0 done, 1 cellvm refused or failed the request, 2 usage,\n"
	      "3 cellvm could not be reached or sent no valid reply.\n",
	      f);
}

static int parse_ms(const char *s, unsigned int max, unsigned int *out)
{
	char *end;

	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || !*s || *end || *s == '-' || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *n = cap <= (1u << 20) * 2 ? realloc(buf, cap) : NULL;
			if (!n) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			buf = n;
		}
		size_t n = fread(buf + *len, 1, cap - *len - 1, f);
		*len += n;
		if (n == 0)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/* Builds the Configure body from a JSON file. */
static int load_config(const char *path, Cellvm__Config **out)
{
	char err[256];
	size_t len;
	char *text = read_file(path, &len);
	struct json_object *j = NULL;

	if (!text) {
		fprintf(stderr, "cellctl: %s: %s\n", path, strerror(errno));
		return CELLCTL_USAGE;
	}
	int ret = api_json_parse(text, len, &j, err, sizeof(err));
	free(text);
	if (ret == 0) {
		ret = api_json_to_msg(j, &cellvm__config__descriptor, (ProtobufCMessage **)out, err,
				      sizeof(err));
		json_object_put(j);
	}
	if (ret < 0) {
		fprintf(stderr, "cellctl: %s: %s\n", path, err);
		return CELLCTL_USAGE;
	}
	return CELLCTL_OK;
}

static const char *connect_hint(int err)
{
	switch (err) {
	case ENOENT: return "no socket there (is cellvm running with --api-sock at this path?)";
	case ECONNREFUSED: return "nobody is listening (cellvm has exited?)";
	case EACCES: return "permission denied (the socket belongs to another user)";
	case ENOTSOCK: return "not a socket";
	default: return strerror(err);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sock", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("CELLVM_API_SOCK");
	bool json = false;
	unsigned int timeout = 10000, shutdown_ms = 0;
	Cellvm__Request req = CELLVM__REQUEST__INIT;
	Cellvm__StartRequest start = CELLVM__START_REQUEST__INIT;
	Cellvm__PauseRequest pause = CELLVM__PAUSE_REQUEST__INIT;
	Cellvm__ResumeRequest resume = CELLVM__RESUME_REQUEST__INIT;
	Cellvm__ShutdownRequest shutdown = CELLVM__SHUTDOWN_REQUEST__INIT;
	Cellvm__KillRequest kill = CELLVM__KILL_REQUEST__INIT;
	Cellvm__InfoRequest info = CELLVM__INFO_REQUEST__INIT;
	Cellvm__MetricsRequest metrics = CELLVM__METRICS_REQUEST__INIT;
	Cellvm__Config *config = NULL;
	Cellvm__Reply *reply = NULL;
	struct api_client c;
	int code, c_opt, ret;

	while ((c_opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c_opt) {
		case 's': sock = optarg; break;
		case 'j': json = true; break;
		case 't':
			if (parse_ms(optarg, 3600000, &timeout) < 0 || timeout == 0) {
				fprintf(stderr, "cellctl: --timeout takes 1 to 3600000 ms\n");
				return CELLCTL_USAGE;
			}
			break;
		case 'h': usage(stdout); return CELLCTL_OK;
		default: usage(stderr); return CELLCTL_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "cellctl: no command given\n");
		usage(stderr);
		return CELLCTL_USAGE;
	}
	const char *cmd = argv[optind++];
	int nargs = argc - optind;
	bool show_config = false;

	if (!strcmp(cmd, "status") || !strcmp(cmd, "config")) {
		req.body_case = CELLVM__REQUEST__BODY_INFO;
		req.info = &info;
		show_config = !strcmp(cmd, "config");
	} else if (!strcmp(cmd, "configure") && nargs == 1) {
		if ((code = load_config(argv[optind++], &config)) != CELLCTL_OK)
			return code;
		req.body_case = CELLVM__REQUEST__BODY_CONFIGURE;
		req.configure = config;
	} else if (!strcmp(cmd, "start")) {
		req.body_case = CELLVM__REQUEST__BODY_START;
		req.start = &start;
	} else if (!strcmp(cmd, "pause")) {
		req.body_case = CELLVM__REQUEST__BODY_PAUSE;
		req.pause = &pause;
	} else if (!strcmp(cmd, "resume")) {
		req.body_case = CELLVM__REQUEST__BODY_RESUME;
		req.resume = &resume;
	} else if (!strcmp(cmd, "shutdown") && nargs <= 1) {
		if (nargs == 1 && (parse_ms(argv[optind++], 600000, &shutdown_ms) < 0 || !shutdown_ms)) {
			fprintf(stderr, "cellctl: shutdown takes a timeout of 1 to 600000 ms\n");
			return CELLCTL_USAGE;
		}
		shutdown.timeout_ms = shutdown_ms;
		req.body_case = CELLVM__REQUEST__BODY_SHUTDOWN;
		req.shutdown = &shutdown;
	} else if (!strcmp(cmd, "kill")) {
		req.body_case = CELLVM__REQUEST__BODY_KILL;
		req.kill = &kill;
	} else if (!strcmp(cmd, "metrics")) {
		req.body_case = CELLVM__REQUEST__BODY_METRICS;
		req.metrics = &metrics;
	} else {
		fprintf(stderr, "cellctl: unknown command or wrong arguments: %s\n", cmd);
		usage(stderr);
		return CELLCTL_USAGE;
	}
	if (optind < argc) {
		fprintf(stderr, "cellctl: unexpected argument '%s'\n", argv[optind]);
		code = CELLCTL_USAGE;
		goto out_config;
	}
	if (!sock || !*sock) {
		fprintf(stderr, "cellctl: give --sock PATH (or set CELLVM_API_SOCK)\n");
		code = CELLCTL_USAGE;
		goto out_config;
	}

	if ((ret = api_client_connect(&c, sock)) < 0) {
		fprintf(stderr, "cellctl: cannot connect to %s: %s\n", sock, connect_hint(-ret));
		code = CELLCTL_NO_VMM;
		goto out_config;
	}
	c.timeout_ms = (int)timeout;
	ret = api_client_call(&c, &req, &reply);
	api_client_close(&c);
	if (ret < 0) {
		fprintf(stderr, "cellctl: %s: %s\n", cmd,
			ret == -ETIMEDOUT ? "no reply in time" :
			ret == -EPIPE     ? "cellvm closed the connection without a reply" :
			ret == -EPROTO    ? "the reply is not a valid cellvm.Reply" :
					    strerror(-ret));
		code = CELLCTL_NO_VMM;
		goto out_config;
	}

	if (reply->status != CELLVM__STATUS__STATUS_OK) {
		if (json)
			cellctl_print_json(stdout, &reply->base);
		fprintf(stderr, "cellctl: %s: %s: %s\n", cmd, api_status_name(reply->status),
			reply->message);
		code = CELLCTL_REFUSED;
	} else if (show_config) {
		/* The config file format, in either mode: it is JSON already. */
		if (reply->body_case == CELLVM__REPLY__BODY_INFO && reply->info->config)
			cellctl_print_json(stdout, &reply->info->config->base);
		else
			printf(json ? "null\n" : "no configuration yet\n");
		code = CELLCTL_OK;
	} else if (json) {
		cellctl_print_json(stdout, &reply->base);
		code = CELLCTL_OK;
	} else {
		if (reply->body_case == CELLVM__REPLY__BODY_INFO)
			cellctl_print_info(stdout, reply->info);
		else if (reply->body_case == CELLVM__REPLY__BODY_METRICS)
			cellctl_print_metrics(stdout, reply->metrics);
		else
			printf("%s\n", reply->message);
		code = CELLCTL_OK;
	}
	cellvm__reply__free_unpacked(reply, NULL);
out_config:
	if (config)
		cellvm__config__free_unpacked(config, NULL);
	return code;
}
