// Everything of the codec in one include, for servers and the client.
#pragma once

#include "proto/codec_error.hpp"
#include "proto/deadline.hpp"
#include "proto/error.hpp"
#include "proto/fields.hpp"
#include "proto/frame.hpp"
#include "proto/frame_io.hpp"
#include "proto/messages/request.hpp"
#include "proto/messages/response.hpp"
#include "proto/syntax.hpp"
#include "proto/utf8.hpp"
