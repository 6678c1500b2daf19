#include "metrics_file.h"
#include "api/api_convert.h"
#include "api_json.h"
#include "line_sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Long enough for a slow reader to catch up, short enough that the main
 * loop (console, device deaths) is never held up noticeably. */
#define METRICS_WRITE_TIMEOUT_MS 100

int metrics_file_write(int fd, const struct metrics_snapshot *s)
{
	Cellvm__Metrics *m = api_metrics_to_msg(s);
	struct json_object *j = NULL;
	int ret = -ENOMEM;

	if (!m)
		return -ENOMEM;
	j = api_json_from_msg(&m->base);
	if (j) {
		size_t len = 0;
		const char *text = json_object_to_json_string_length(
			j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
		char *line = text ? malloc(len + 1) : NULL;
		if (line) {
			memcpy(line, text, len);
			line[len] = '\n';
			ret = line_sink_write_all(fd, line, len + 1, METRICS_WRITE_TIMEOUT_MS);
			free(line);
		}
		json_object_put(j);
	}
	cellvm__metrics__free_unpacked(m, NULL);
	return ret;
}
