#include "config_file.h"
#include "api/api_config.h"
#include "api_json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int config_file_parse(const char *text, size_t len, struct vm_config *out, char *err,
		      size_t errlen)
{
	struct json_object *j = NULL;
	ProtobufCMessage *m = NULL;
	int ret;

	if ((ret = api_json_parse(text, len, &j, err, errlen)) < 0)
		return ret;
	ret = api_json_to_msg(j, &cellvm__config__descriptor, &m, err, errlen);
	json_object_put(j);
	if (ret < 0)
		return ret;
	ret = api_config_from_msg((const Cellvm__Config *)m, out, err, errlen);
	protobuf_c_message_free_unpacked(m, NULL);
	return ret;
}

int config_file_load(const char *path, struct vm_config *out, char *err, size_t errlen)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "not a regular file of at most %u bytes", CONFIG_FILE_MAX);
		ret = -EINVAL;
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "cannot read: %s", strerror(-ret));
			goto out;
		}
		len += (size_t)n;
	}
	text[len] = '\0';
	ret = config_file_parse(text, len, out, err, errlen);
out:
	free(text);
	close(fd);
	return ret;
}
