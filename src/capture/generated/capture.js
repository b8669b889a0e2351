// GENERATED FILE - DO NOT EDIT.
// Generated from proto/capture.proto by scripts/gen-proto.js (protobufjs-cli pbjs/pbts).
// Regenerate with: npm run gen:proto
"use strict";

var $protobuf = require("protobufjs/minimal");

// Common aliases
var $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;

// Exported root namespace
var $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

$root.pymemprof = (function() {

    /**
     * Namespace pymemprof.
     * @exports pymemprof
     * @namespace
     */
    var pymemprof = {};

    pymemprof.capture = (function() {

        /**
         * Namespace capture.
         * @memberof pymemprof
         * @namespace
         */
        var capture = {};

        capture.Frame = (function() {

            /**
             * Properties of a Frame.
             * @memberof pymemprof.capture
             * @interface IFrame
             * @property {pymemprof.capture.IHeader|null} [header] Frame header
             * @property {pymemprof.capture.ICodeObjects|null} [codeObjects] Frame codeObjects
             * @property {pymemprof.capture.IStackNodes|null} [stackNodes] Frame stackNodes
             * @property {pymemprof.capture.IThreads|null} [threads] Frame threads
             * @property {pymemprof.capture.IRecordBatch|null} [batch] Frame batch
             * @property {pymemprof.capture.IMarks|null} [marks] Frame marks
             * @property {pymemprof.capture.ITrailer|null} [trailer] Frame trailer
             * @property {pymemprof.capture.ICompressed|null} [compressed] Frame compressed
             */

            /**
             * Constructs a new Frame.
             * @memberof pymemprof.capture
             * @classdesc Represents a Frame.
             * @implements IFrame
             * @constructor
             * @param {pymemprof.capture.IFrame=} [properties] Properties to set
             */
            function Frame(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Frame header.
             * @member {pymemprof.capture.IHeader|null|undefined} header
             * @memberof pymemprof.capture.Frame
             * @instance
             */
            Frame.prototype.header = null;

            /**
             * Frame codeObjects.
             * @member {pymemprof.capture.ICodeObjects|null|undefined} codeObjects
             * @memberof pymemprof.capture.Frame
             * @instance
             */
            Frame.prototype.codeObjects = null;

            /**
             * Frame stackNodes.
             * @member {pymemprof.capture.IStackNodes|null|undefined} stackNodes
             * @memberof pymemprof.capture.Frame
             * @instance
             */
            Frame.prototype.stackNodes = null;

            /**
             * Frame threads.
             * @member {pymemprof.capture.IThreads|null|undefined} threads
             * @memberof pymemprof.capture.Frame
             * @instance
             */
            Frame.prototype.threads = null;

            /**
             * Frame batch.
             * @member {pymemprof.capture.IRecordBatch|null|undefined} batch
             * @memberof pymemprof.capture.Frame
             * @instance
             */
            Frame.prototype.batch = null;

            /**
             * Frame marks.
             * @member {pymemprof.capture.IMarks|null|undefined} marks
             * @memberof pymemprof.capture.Frame
             * @instance
             */
            Frame.prototype.marks = null;

            /**
             * Frame trailer.
             * @member {pymemprof.capture.ITrailer|null|undefined} trailer
             * @memberof pymemprof.capture.Frame
             * @instance
             */
            Frame.prototype.trailer = null;

            /**
             * Frame compressed.
             * @member {pymemprof.capture.ICompressed|null|undefined} compressed
             * @memberof pymemprof.capture.Frame
             * @instance
             */
            Frame.prototype.compressed = null;

            // OneOf field names bound to virtual getters and setters
            var $oneOfFields;

            /**
             * Frame body.
             * @member {"header"|"codeObjects"|"stackNodes"|"threads"|"batch"|"marks"|"trailer"|"compressed"|undefined} body
             * @memberof pymemprof.capture.Frame
             * @instance
             */
            Object.defineProperty(Frame.prototype, "body", {
                get: $util.oneOfGetter($oneOfFields = ["header", "codeObjects", "stackNodes", "threads", "batch", "marks", "trailer", "compressed"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Creates a new Frame instance using the specified properties.
             * @function create
             * @memberof pymemprof.capture.Frame
             * @static
             * @param {pymemprof.capture.IFrame=} [properties] Properties to set
             * @returns {pymemprof.capture.Frame} Frame instance
             */
            Frame.create = function create(properties) {
                return new Frame(properties);
            };

            /**
             * Encodes the specified Frame message. Does not implicitly {@link pymemprof.capture.Frame.verify|verify} messages.
             * @function encode
             * @memberof pymemprof.capture.Frame
             * @static
             * @param {pymemprof.capture.IFrame} message Frame message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Frame.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.header != null && Object.hasOwnProperty.call(message, "header"))
                    $root.pymemprof.capture.Header.encode(message.header, writer.uint32(/* id 1, wireType 2 =*/10).fork(), q + 1).ldelim();
                if (message.codeObjects != null && Object.hasOwnProperty.call(message, "codeObjects"))
                    $root.pymemprof.capture.CodeObjects.encode(message.codeObjects, writer.uint32(/* id 2, wireType 2 =*/18).fork(), q + 1).ldelim();
                if (message.stackNodes != null && Object.hasOwnProperty.call(message, "stackNodes"))
                    $root.pymemprof.capture.StackNodes.encode(message.stackNodes, writer.uint32(/* id 3, wireType 2 =*/26).fork(), q + 1).ldelim();
                if (message.threads != null && Object.hasOwnProperty.call(message, "threads"))
                    $root.pymemprof.capture.Threads.encode(message.threads, writer.uint32(/* id 4, wireType 2 =*/34).fork(), q + 1).ldelim();
                if (message.batch != null && Object.hasOwnProperty.call(message, "batch"))
                    $root.pymemprof.capture.RecordBatch.encode(message.batch, writer.uint32(/* id 5, wireType 2 =*/42).fork(), q + 1).ldelim();
                if (message.marks != null && Object.hasOwnProperty.call(message, "marks"))
                    $root.pymemprof.capture.Marks.encode(message.marks, writer.uint32(/* id 6, wireType 2 =*/50).fork(), q + 1).ldelim();
                if (message.trailer != null && Object.hasOwnProperty.call(message, "trailer"))
                    $root.pymemprof.capture.Trailer.encode(message.trailer, writer.uint32(/* id 7, wireType 2 =*/58).fork(), q + 1).ldelim();
                if (message.compressed != null && Object.hasOwnProperty.call(message, "compressed"))
                    $root.pymemprof.capture.Compressed.encode(message.compressed, writer.uint32(/* id 8, wireType 2 =*/66).fork(), q + 1).ldelim();
                return writer;
            };

            /**
             * Decodes a Frame message from the specified reader or buffer.
             * @function decode
             * @memberof pymemprof.capture.Frame
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {pymemprof.capture.Frame} Frame
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Frame.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.pymemprof.capture.Frame();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.header = $root.pymemprof.capture.Header.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 2: {
                            message.codeObjects = $root.pymemprof.capture.CodeObjects.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 3: {
                            message.stackNodes = $root.pymemprof.capture.StackNodes.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 4: {
                            message.threads = $root.pymemprof.capture.Threads.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 5: {
                            message.batch = $root.pymemprof.capture.RecordBatch.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 6: {
                            message.marks = $root.pymemprof.capture.Marks.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 7: {
                            message.trailer = $root.pymemprof.capture.Trailer.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 8: {
                            message.compressed = $root.pymemprof.capture.Compressed.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            return Frame;
        })();

        capture.Compressed = (function() {

            /**
             * Properties of a Compressed.
             * @memberof pymemprof.capture
             * @interface ICompressed
             * @property {number|null} [rawSize] Compressed rawSize
             * @property {Uint8Array|null} [lz4] Compressed lz4
             */

            /**
             * Constructs a new Compressed.
             * @memberof pymemprof.capture
             * @classdesc Represents a Compressed.
             * @implements ICompressed
             * @constructor
             * @param {pymemprof.capture.ICompressed=} [properties] Properties to set
             */
            function Compressed(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Compressed rawSize.
             * @member {number} rawSize
             * @memberof pymemprof.capture.Compressed
             * @instance
             */
            Compressed.prototype.rawSize = 0;

            /**
             * Compressed lz4.
             * @member {Uint8Array} lz4
             * @memberof pymemprof.capture.Compressed
             * @instance
             */
            Compressed.prototype.lz4 = $util.newBuffer([]);

            /**
             * Creates a new Compressed instance using the specified properties.
             * @function create
             * @memberof pymemprof.capture.Compressed
             * @static
             * @param {pymemprof.capture.ICompressed=} [properties] Properties to set
             * @returns {pymemprof.capture.Compressed} Compressed instance
             */
            Compressed.create = function create(properties) {
                return new Compressed(properties);
            };

            /**
             * Encodes the specified Compressed message. Does not implicitly {@link pymemprof.capture.Compressed.verify|verify} messages.
             * @function encode
             * @memberof pymemprof.capture.Compressed
             * @static
             * @param {pymemprof.capture.ICompressed} message Compressed message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Compressed.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.rawSize != null && Object.hasOwnProperty.call(message, "rawSize"))
                    writer.uint32(/* id 1, wireType 0 =*/8).uint32(message.rawSize);
                if (message.lz4 != null && Object.hasOwnProperty.call(message, "lz4"))
                    writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.lz4);
                return writer;
            };

            /**
             * Decodes a Compressed message from the specified reader or buffer.
             * @function decode
             * @memberof pymemprof.capture.Compressed
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {pymemprof.capture.Compressed} Compressed
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Compressed.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.pymemprof.capture.Compressed();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.rawSize = reader.uint32();
                            break;
                        }
                    case 2: {
                            message.lz4 = reader.bytes();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            return Compressed;
        })();

        capture.Header = (function() {

            /**
             * Properties of a Header.
             * @memberof pymemprof.capture
             * @interface IHeader
             * @property {string|null} [magic] Header magic
             * @property {number|null} [formatVersion] Header formatVersion
             * @property {string|null} [pythonVersion] Header pythonVersion
             * @property {number|null} [pythonHexversion] Header pythonHexversion
             * @property {pymemprof.capture.IPymallocGeometry|null} [geometry] Header geometry
             * @property {number|null} [pid] Header pid
             * @property {Array.<string>|null} [argv] Header argv
             * @property {number|null} [startTimeUnixUs] Header startTimeUnixUs
             * @property {string|null} [executable] Header executable
             * @property {number|null} [sampleBytes] Header sampleBytes
             * @property {number|null} [timeQuantumUs] Header timeQuantumUs
             */

            /**
             * Constructs a new Header.
             * @memberof pymemprof.capture
             * @classdesc Represents a Header.
             * @implements IHeader
             * @constructor
             * @param {pymemprof.capture.IHeader=} [properties] Properties to set
             */
            function Header(properties) {
                this.argv = [];
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Header magic.
             * @member {string} magic
             * @memberof pymemprof.capture.Header
             * @instance
             */
            Header.prototype.magic = "";

            /**
             * Header formatVersion.
             * @member {number} formatVersion
             * @memberof pymemprof.capture.Header
             * @instance
             */
            Header.prototype.formatVersion = 0;

            /**
             * Header pythonVersion.
             * @member {string} pythonVersion
             * @memberof pymemprof.capture.Header
             * @instance
             */
            Header.prototype.pythonVersion = "";

            /**
             * Header pythonHexversion.
             * @member {number} pythonHexversion
             * @memberof pymemprof.capture.Header
             * @instance
             */
            Header.prototype.pythonHexversion = 0;

            /**
             * Header geometry.
             * @member {pymemprof.capture.IPymallocGeometry|null|undefined} geometry
             * @memberof pymemprof.capture.Header
             * @instance
             */
            Header.prototype.geometry = null;

            /**
             * Header pid.
             * @member {number} pid
             * @memberof pymemprof.capture.Header
             * @instance
             */
            Header.prototype.pid = 0;

            /**
             * Header argv.
             * @member {Array.<string>} argv
             * @memberof pymemprof.capture.Header
             * @instance
             */
            Header.prototype.argv = $util.emptyArray;

            /**
             * Header startTimeUnixUs.
             * @member {number} startTimeUnixUs
             * @memberof pymemprof.capture.Header
             * @instance
             */
            Header.prototype.startTimeUnixUs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Header executable.
             * @member {string} executable
             * @memberof pymemprof.capture.Header
             * @instance
             */
            Header.prototype.executable = "";

            /**
             * Header sampleBytes.
             * @member {number} sampleBytes
             * @memberof pymemprof.capture.Header
             * @instance
             */
            Header.prototype.sampleBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Header timeQuantumUs.
             * @member {number} timeQuantumUs
             * @memberof pymemprof.capture.Header
             * @instance
             */
            Header.prototype.timeQuantumUs = 0;

            /**
             * Creates a new Header instance using the specified properties.
             * @function create
             * @memberof pymemprof.capture.Header
             * @static
             * @param {pymemprof.capture.IHeader=} [properties] Properties to set
             * @returns {pymemprof.capture.Header} Header instance
             */
            Header.create = function create(properties) {
                return new Header(properties);
            };

            /**
             * Encodes the specified Header message. Does not implicitly {@link pymemprof.capture.Header.verify|verify} messages.
             * @function encode
             * @memberof pymemprof.capture.Header
             * @static
             * @param {pymemprof.capture.IHeader} message Header message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Header.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.magic != null && Object.hasOwnProperty.call(message, "magic"))
                    writer.uint32(/* id 1, wireType 2 =*/10).string(message.magic);
                if (message.formatVersion != null && Object.hasOwnProperty.call(message, "formatVersion"))
                    writer.uint32(/* id 2, wireType 0 =*/16).uint32(message.formatVersion);
                if (message.pythonVersion != null && Object.hasOwnProperty.call(message, "pythonVersion"))
                    writer.uint32(/* id 3, wireType 2 =*/26).string(message.pythonVersion);
                if (message.pythonHexversion != null && Object.hasOwnProperty.call(message, "pythonHexversion"))
                    writer.uint32(/* id 4, wireType 0 =*/32).uint32(message.pythonHexversion);
                if (message.geometry != null && Object.hasOwnProperty.call(message, "geometry"))
                    $root.pymemprof.capture.PymallocGeometry.encode(message.geometry, writer.uint32(/* id 5, wireType 2 =*/42).fork(), q + 1).ldelim();
                if (message.pid != null && Object.hasOwnProperty.call(message, "pid"))
                    writer.uint32(/* id 6, wireType 0 =*/48).uint32(message.pid);
                if (message.argv != null && message.argv.length)
                    for (var i = 0; i < message.argv.length; ++i)
                        writer.uint32(/* id 7, wireType 2 =*/58).string(message.argv[i]);
                if (message.startTimeUnixUs != null && Object.hasOwnProperty.call(message, "startTimeUnixUs"))
                    writer.uint32(/* id 8, wireType 0 =*/64).uint64(message.startTimeUnixUs);
                if (message.executable != null && Object.hasOwnProperty.call(message, "executable"))
                    writer.uint32(/* id 9, wireType 2 =*/74).string(message.executable);
                if (message.sampleBytes != null && Object.hasOwnProperty.call(message, "sampleBytes"))
                    writer.uint32(/* id 10, wireType 0 =*/80).uint64(message.sampleBytes);
                if (message.timeQuantumUs != null && Object.hasOwnProperty.call(message, "timeQuantumUs"))
                    writer.uint32(/* id 11, wireType 0 =*/88).uint32(message.timeQuantumUs);
                return writer;
            };

            /**
             * Decodes a Header message from the specified reader or buffer.
             * @function decode
             * @memberof pymemprof.capture.Header
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {pymemprof.capture.Header} Header
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Header.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.pymemprof.capture.Header();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.magic = reader.string();
                            break;
                        }
                    case 2: {
                            message.formatVersion = reader.uint32();
                            break;
                        }
                    case 3: {
                            message.pythonVersion = reader.string();
                            break;
                        }
                    case 4: {
                            message.pythonHexversion = reader.uint32();
                            break;
                        }
                    case 5: {
                            message.geometry = $root.pymemprof.capture.PymallocGeometry.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 6: {
                            message.pid = reader.uint32();
                            break;
                        }
                    case 7: {
                            if (!(message.argv && message.argv.length))
                                message.argv = [];
                            message.argv.push(reader.string());
                            break;
                        }
                    case 8: {
                            message.startTimeUnixUs = reader.uint64();
                            break;
                        }
                    case 9: {
                            message.executable = reader.string();
                            break;
                        }
                    case 10: {
                            message.sampleBytes = reader.uint64();
                            break;
                        }
                    case 11: {
                            message.timeQuantumUs = reader.uint32();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            return Header;
        })();

        capture.PymallocGeometry = (function() {

            /**
             * Properties of a PymallocGeometry.
             * @memberof pymemprof.capture
             * @interface IPymallocGeometry
             * @property {number|null} [arenaSize] PymallocGeometry arenaSize
             * @property {number|null} [poolSize] PymallocGeometry poolSize
             * @property {number|null} [alignment] PymallocGeometry alignment
             * @property {number|null} [smallRequestThreshold] PymallocGeometry smallRequestThreshold
             */

            /**
             * Constructs a new PymallocGeometry.
             * @memberof pymemprof.capture
             * @classdesc Represents a PymallocGeometry.
             * @implements IPymallocGeometry
             * @constructor
             * @param {pymemprof.capture.IPymallocGeometry=} [properties] Properties to set
             */
            function PymallocGeometry(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * PymallocGeometry arenaSize.
             * @member {number} arenaSize
             * @memberof pymemprof.capture.PymallocGeometry
             * @instance
             */
            PymallocGeometry.prototype.arenaSize = 0;

            /**
             * PymallocGeometry poolSize.
             * @member {number} poolSize
             * @memberof pymemprof.capture.PymallocGeometry
             * @instance
             */
            PymallocGeometry.prototype.poolSize = 0;

            /**
             * PymallocGeometry alignment.
             * @member {number} alignment
             * @memberof pymemprof.capture.PymallocGeometry
             * @instance
             */
            PymallocGeometry.prototype.alignment = 0;

            /**
             * PymallocGeometry smallRequestThreshold.
             * @member {number} smallRequestThreshold
             * @memberof pymemprof.capture.PymallocGeometry
             * @instance
             */
            PymallocGeometry.prototype.smallRequestThreshold = 0;

            /**
             * Creates a new PymallocGeometry instance using the specified properties.
             * @function create
             * @memberof pymemprof.capture.PymallocGeometry
             * @static
             * @param {pymemprof.capture.IPymallocGeometry=} [properties] Properties to set
             * @returns {pymemprof.capture.PymallocGeometry} PymallocGeometry instance
             */
            PymallocGeometry.create = function create(properties) {
                return new PymallocGeometry(properties);
            };

            /**
             * Encodes the specified PymallocGeometry message. Does not implicitly {@link pymemprof.capture.PymallocGeometry.verify|verify} messages.
             * @function encode
             * @memberof pymemprof.capture.PymallocGeometry
             * @static
             * @param {pymemprof.capture.IPymallocGeometry} message PymallocGeometry message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            PymallocGeometry.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.arenaSize != null && Object.hasOwnProperty.call(message, "arenaSize"))
                    writer.uint32(/* id 1, wireType 0 =*/8).uint32(message.arenaSize);
                if (message.poolSize != null && Object.hasOwnProperty.call(message, "poolSize"))
                    writer.uint32(/* id 2, wireType 0 =*/16).uint32(message.poolSize);
                if (message.alignment != null && Object.hasOwnProperty.call(message, "alignment"))
                    writer.uint32(/* id 3, wireType 0 =*/24).uint32(message.alignment);
                if (message.smallRequestThreshold != null && Object.hasOwnProperty.call(message, "smallRequestThreshold"))
                    writer.uint32(/* id 4, wireType 0 =*/32).uint32(message.smallRequestThreshold);
                return writer;
            };

            /**
             * Decodes a PymallocGeometry message from the specified reader or buffer.
             * @function decode
             * @memberof pymemprof.capture.PymallocGeometry
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {pymemprof.capture.PymallocGeometry} PymallocGeometry
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            PymallocGeometry.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.pymemprof.capture.PymallocGeometry();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.arenaSize = reader.uint32();
                            break;
                        }
                    case 2: {
                            message.poolSize = reader.uint32();
                            break;
                        }
                    case 3: {
                            message.alignment = reader.uint32();
                            break;
                        }
                    case 4: {
                            message.smallRequestThreshold = reader.uint32();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            return PymallocGeometry;
        })();

        capture.CodeObject = (function() {

            /**
             * Properties of a CodeObject.
             * @memberof pymemprof.capture
             * @interface ICodeObject
             * @property {number|null} [id] CodeObject id
             * @property {string|null} [name] CodeObject name
             * @property {string|null} [qualname] CodeObject qualname
             * @property {string|null} [filename] CodeObject filename
             * @property {number|null} [firstLine] CodeObject firstLine
             * @property {Array.<number>|null} [lineStarts] CodeObject lineStarts
             * @property {Array.<number>|null} [lines] CodeObject lines
             */

            /**
             * Constructs a new CodeObject.
             * @memberof pymemprof.capture
             * @classdesc Represents a CodeObject.
             * @implements ICodeObject
             * @constructor
             * @param {pymemprof.capture.ICodeObject=} [properties] Properties to set
             */
            function CodeObject(properties) {
                this.lineStarts = [];
                this.lines = [];
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * CodeObject id.
             * @member {number} id
             * @memberof pymemprof.capture.CodeObject
             * @instance
             */
            CodeObject.prototype.id = 0;

            /**
             * CodeObject name.
             * @member {string} name
             * @memberof pymemprof.capture.CodeObject
             * @instance
             */
            CodeObject.prototype.name = "";

            /**
             * CodeObject qualname.
             * @member {string} qualname
             * @memberof pymemprof.capture.CodeObject
             * @instance
             */
            CodeObject.prototype.qualname = "";

            /**
             * CodeObject filename.
             * @member {string} filename
             * @memberof pymemprof.capture.CodeObject
             * @instance
             */
            CodeObject.prototype.filename = "";

            /**
             * CodeObject firstLine.
             * @member {number} firstLine
             * @memberof pymemprof.capture.CodeObject
             * @instance
             */
            CodeObject.prototype.firstLine = 0;

            /**
             * CodeObject lineStarts.
             * @member {Array.<number>} lineStarts
             * @memberof pymemprof.capture.CodeObject
             * @instance
             */
            CodeObject.prototype.lineStarts = $util.emptyArray;

            /**
             * CodeObject lines.
             * @member {Array.<number>} lines
             * @memberof pymemprof.capture.CodeObject
             * @instance
             */
            CodeObject.prototype.lines = $util.emptyArray;

            /**
             * Creates a new CodeObject instance using the specified properties.
             * @function create
             * @memberof pymemprof.capture.CodeObject
             * @static
             * @param {pymemprof.capture.ICodeObject=} [properties] Properties to set
             * @returns {pymemprof.capture.CodeObject} CodeObject instance
             */
            CodeObject.create = function create(properties) {
                return new CodeObject(properties);
            };

            /**
             * Encodes the specified CodeObject message. Does not implicitly {@link pymemprof.capture.CodeObject.verify|verify} messages.
             * @function encode
             * @memberof pymemprof.capture.CodeObject
             * @static
             * @param {pymemprof.capture.ICodeObject} message CodeObject message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            CodeObject.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.id != null && Object.hasOwnProperty.call(message, "id"))
                    writer.uint32(/* id 1, wireType 0 =*/8).uint32(message.id);
                if (message.name != null && Object.hasOwnProperty.call(message, "name"))
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.name);
                if (message.qualname != null && Object.hasOwnProperty.call(message, "qualname"))
                    writer.uint32(/* id 3, wireType 2 =*/26).string(message.qualname);
                if (message.filename != null && Object.hasOwnProperty.call(message, "filename"))
                    writer.uint32(/* id 4, wireType 2 =*/34).string(message.filename);
                if (message.firstLine != null && Object.hasOwnProperty.call(message, "firstLine"))
                    writer.uint32(/* id 5, wireType 0 =*/40).uint32(message.firstLine);
                if (message.lineStarts != null && message.lineStarts.length) {
                    writer.uint32(/* id 6, wireType 2 =*/50).fork();
                    for (var i = 0; i < message.lineStarts.length; ++i)
                        writer.uint32(message.lineStarts[i]);
                    writer.ldelim();
                }
                if (message.lines != null && message.lines.length) {
                    writer.uint32(/* id 7, wireType 2 =*/58).fork();
                    for (var i = 0; i < message.lines.length; ++i)
                        writer.sint32(message.lines[i]);
                    writer.ldelim();
                }
                return writer;
            };

            /**
             * Decodes a CodeObject message from the specified reader or buffer.
             * @function decode
             * @memberof pymemprof.capture.CodeObject
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {pymemprof.capture.CodeObject} CodeObject
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            CodeObject.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.pymemprof.capture.CodeObject();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.id = reader.uint32();
                            break;
                        }
                    case 2: {
                            message.name = reader.string();
                            break;
                        }
                    case 3: {
                            message.qualname = reader.string();
                            break;
                        }
                    case 4: {
                            message.filename = reader.string();
                            break;
                        }
                    case 5: {
                            message.firstLine = reader.uint32();
                            break;
                        }
                    case 6: {
                            if (!(message.lineStarts && message.lineStarts.length))
                                message.lineStarts = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.lineStarts.push(reader.uint32());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.lineStarts.push(reader.uint32());
                            break;
                        }
                    case 7: {
                            if (!(message.lines && message.lines.length))
                                message.lines = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.lines.push(reader.sint32());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.lines.push(reader.sint32());
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            return CodeObject;
        })();

        capture.CodeObjects = (function() {

            /**
             * Properties of a CodeObjects.
             * @memberof pymemprof.capture
             * @interface ICodeObjects
             * @property {Array.<pymemprof.capture.ICodeObject>|null} [code] CodeObjects code
             */

            /**
             * Constructs a new CodeObjects.
             * @memberof pymemprof.capture
             * @classdesc Represents a CodeObjects.
             * @implements ICodeObjects
             * @constructor
             * @param {pymemprof.capture.ICodeObjects=} [properties] Properties to set
             */
            function CodeObjects(properties) {
                this.code = [];
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * CodeObjects code.
             * @member {Array.<pymemprof.capture.ICodeObject>} code
             * @memberof pymemprof.capture.CodeObjects
             * @instance
             */
            CodeObjects.prototype.code = $util.emptyArray;

            /**
             * Creates a new CodeObjects instance using the specified properties.
             * @function create
             * @memberof pymemprof.capture.CodeObjects
             * @static
             * @param {pymemprof.capture.ICodeObjects=} [properties] Properties to set
             * @returns {pymemprof.capture.CodeObjects} CodeObjects instance
             */
            CodeObjects.create = function create(properties) {
                return new CodeObjects(properties);
            };

            /**
             * Encodes the specified CodeObjects message. Does not implicitly {@link pymemprof.capture.CodeObjects.verify|verify} messages.
             * @function encode
             * @memberof pymemprof.capture.CodeObjects
             * @static
             * @param {pymemprof.capture.ICodeObjects} message CodeObjects message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            CodeObjects.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.code != null && message.code.length)
                    for (var i = 0; i < message.code.length; ++i)
                        $root.pymemprof.capture.CodeObject.encode(message.code[i], writer.uint32(/* id 1, wireType 2 =*/10).fork(), q + 1).ldelim();
                return writer;
            };

            /**
             * Decodes a CodeObjects message from the specified reader or buffer.
             * @function decode
             * @memberof pymemprof.capture.CodeObjects
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {pymemprof.capture.CodeObjects} CodeObjects
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            CodeObjects.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.pymemprof.capture.CodeObjects();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            if (!(message.code && message.code.length))
                                message.code = [];
                            message.code.push($root.pymemprof.capture.CodeObject.decode(reader, reader.uint32(), undefined, long + 1));
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            return CodeObjects;
        })();

        capture.StackNodes = (function() {

            /**
             * Properties of a StackNodes.
             * @memberof pymemprof.capture
             * @interface IStackNodes
             * @property {Array.<number>|null} [id] StackNodes id
             * @property {Array.<number>|null} [parent] StackNodes parent
             * @property {Array.<number>|null} [code] StackNodes code
             * @property {Array.<number>|null} [offset] StackNodes offset
             * @property {number|null} [firstId] StackNodes firstId
             * @property {Array.<number>|null} [parentBack] StackNodes parentBack
             */

            /**
             * Constructs a new StackNodes.
             * @memberof pymemprof.capture
             * @classdesc Represents a StackNodes.
             * @implements IStackNodes
             * @constructor
             * @param {pymemprof.capture.IStackNodes=} [properties] Properties to set
             */
            function StackNodes(properties) {
                this.id = [];
                this.parent = [];
                this.code = [];
                this.offset = [];
                this.parentBack = [];
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * StackNodes id.
             * @member {Array.<number>} id
             * @memberof pymemprof.capture.StackNodes
             * @instance
             */
            StackNodes.prototype.id = $util.emptyArray;

            /**
             * StackNodes parent.
             * @member {Array.<number>} parent
             * @memberof pymemprof.capture.StackNodes
             * @instance
             */
            StackNodes.prototype.parent = $util.emptyArray;

            /**
             * StackNodes code.
             * @member {Array.<number>} code
             * @memberof pymemprof.capture.StackNodes
             * @instance
             */
            StackNodes.prototype.code = $util.emptyArray;

            /**
             * StackNodes offset.
             * @member {Array.<number>} offset
             * @memberof pymemprof.capture.StackNodes
             * @instance
             */
            StackNodes.prototype.offset = $util.emptyArray;

            /**
             * StackNodes firstId.
             * @member {number} firstId
             * @memberof pymemprof.capture.StackNodes
             * @instance
             */
            StackNodes.prototype.firstId = 0;

            /**
             * StackNodes parentBack.
             * @member {Array.<number>} parentBack
             * @memberof pymemprof.capture.StackNodes
             * @instance
             */
            StackNodes.prototype.parentBack = $util.emptyArray;

            /**
             * Creates a new StackNodes instance using the specified properties.
             * @function create
             * @memberof pymemprof.capture.StackNodes
             * @static
             * @param {pymemprof.capture.IStackNodes=} [properties] Properties to set
             * @returns {pymemprof.capture.StackNodes} StackNodes instance
             */
            StackNodes.create = function create(properties) {
                return new StackNodes(properties);
            };

            /**
             * Encodes the specified StackNodes message. Does not implicitly {@link pymemprof.capture.StackNodes.verify|verify} messages.
             * @function encode
             * @memberof pymemprof.capture.StackNodes
             * @static
             * @param {pymemprof.capture.IStackNodes} message StackNodes message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            StackNodes.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.id != null && message.id.length) {
                    writer.uint32(/* id 1, wireType 2 =*/10).fork();
                    for (var i = 0; i < message.id.length; ++i)
                        writer.uint32(message.id[i]);
                    writer.ldelim();
                }
                if (message.parent != null && message.parent.length) {
                    writer.uint32(/* id 2, wireType 2 =*/18).fork();
                    for (var i = 0; i < message.parent.length; ++i)
                        writer.uint32(message.parent[i]);
                    writer.ldelim();
                }
                if (message.code != null && message.code.length) {
                    writer.uint32(/* id 3, wireType 2 =*/26).fork();
                    for (var i = 0; i < message.code.length; ++i)
                        writer.uint32(message.code[i]);
                    writer.ldelim();
                }
                if (message.offset != null && message.offset.length) {
                    writer.uint32(/* id 4, wireType 2 =*/34).fork();
                    for (var i = 0; i < message.offset.length; ++i)
                        writer.uint32(message.offset[i]);
                    writer.ldelim();
                }
                if (message.firstId != null && Object.hasOwnProperty.call(message, "firstId"))
                    writer.uint32(/* id 5, wireType 0 =*/40).uint32(message.firstId);
                if (message.parentBack != null && message.parentBack.length) {
                    writer.uint32(/* id 6, wireType 2 =*/50).fork();
                    for (var i = 0; i < message.parentBack.length; ++i)
                        writer.uint32(message.parentBack[i]);
                    writer.ldelim();
                }
                return writer;
            };

            /**
             * Decodes a StackNodes message from the specified reader or buffer.
             * @function decode
             * @memberof pymemprof.capture.StackNodes
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {pymemprof.capture.StackNodes} StackNodes
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            StackNodes.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.pymemprof.capture.StackNodes();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            if (!(message.id && message.id.length))
                                message.id = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.id.push(reader.uint32());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.id.push(reader.uint32());
                            break;
                        }
                    case 2: {
                            if (!(message.parent && message.parent.length))
                                message.parent = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.parent.push(reader.uint32());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.parent.push(reader.uint32());
                            break;
                        }
                    case 3: {
                            if (!(message.code && message.code.length))
                                message.code = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.code.push(reader.uint32());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.code.push(reader.uint32());
                            break;
                        }
                    case 4: {
                            if (!(message.offset && message.offset.length))
                                message.offset = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.offset.push(reader.uint32());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.offset.push(reader.uint32());
                            break;
                        }
                    case 5: {
                            message.firstId = reader.uint32();
                            break;
                        }
                    case 6: {
                            if (!(message.parentBack && message.parentBack.length))
                                message.parentBack = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.parentBack.push(reader.uint32());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.parentBack.push(reader.uint32());
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            return StackNodes;
        })();

        capture.Thread = (function() {

            /**
             * Properties of a Thread.
             * @memberof pymemprof.capture
             * @interface IThread
             * @property {number|null} [id] Thread id
             * @property {number|null} [nativeId] Thread nativeId
             * @property {string|null} [name] Thread name
             */

            /**
             * Constructs a new Thread.
             * @memberof pymemprof.capture
             * @classdesc Represents a Thread.
             * @implements IThread
             * @constructor
             * @param {pymemprof.capture.IThread=} [properties] Properties to set
             */
            function Thread(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Thread id.
             * @member {number} id
             * @memberof pymemprof.capture.Thread
             * @instance
             */
            Thread.prototype.id = 0;

            /**
             * Thread nativeId.
             * @member {number} nativeId
             * @memberof pymemprof.capture.Thread
             * @instance
             */
            Thread.prototype.nativeId = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Thread name.
             * @member {string} name
             * @memberof pymemprof.capture.Thread
             * @instance
             */
            Thread.prototype.name = "";

            /**
             * Creates a new Thread instance using the specified properties.
             * @function create
             * @memberof pymemprof.capture.Thread
             * @static
             * @param {pymemprof.capture.IThread=} [properties] Properties to set
             * @returns {pymemprof.capture.Thread} Thread instance
             */
            Thread.create = function create(properties) {
                return new Thread(properties);
            };

            /**
             * Encodes the specified Thread message. Does not implicitly {@link pymemprof.capture.Thread.verify|verify} messages.
             * @function encode
             * @memberof pymemprof.capture.Thread
             * @static
             * @param {pymemprof.capture.IThread} message Thread message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Thread.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.id != null && Object.hasOwnProperty.call(message, "id"))
                    writer.uint32(/* id 1, wireType 0 =*/8).uint32(message.id);
                if (message.nativeId != null && Object.hasOwnProperty.call(message, "nativeId"))
                    writer.uint32(/* id 2, wireType 0 =*/16).uint64(message.nativeId);
                if (message.name != null && Object.hasOwnProperty.call(message, "name"))
                    writer.uint32(/* id 3, wireType 2 =*/26).string(message.name);
                return writer;
            };

            /**
             * Decodes a Thread message from the specified reader or buffer.
             * @function decode
             * @memberof pymemprof.capture.Thread
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {pymemprof.capture.Thread} Thread
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Thread.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.pymemprof.capture.Thread();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.id = reader.uint32();
                            break;
                        }
                    case 2: {
                            message.nativeId = reader.uint64();
                            break;
                        }
                    case 3: {
                            message.name = reader.string();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            return Thread;
        })();

        capture.Threads = (function() {

            /**
             * Properties of a Threads.
             * @memberof pymemprof.capture
             * @interface IThreads
             * @property {Array.<pymemprof.capture.IThread>|null} [thread] Threads thread
             */

            /**
             * Constructs a new Threads.
             * @memberof pymemprof.capture
             * @classdesc Represents a Threads.
             * @implements IThreads
             * @constructor
             * @param {pymemprof.capture.IThreads=} [properties] Properties to set
             */
            function Threads(properties) {
                this.thread = [];
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Threads thread.
             * @member {Array.<pymemprof.capture.IThread>} thread
             * @memberof pymemprof.capture.Threads
             * @instance
             */
            Threads.prototype.thread = $util.emptyArray;

            /**
             * Creates a new Threads instance using the specified properties.
             * @function create
             * @memberof pymemprof.capture.Threads
             * @static
             * @param {pymemprof.capture.IThreads=} [properties] Properties to set
             * @returns {pymemprof.capture.Threads} Threads instance
             */
            Threads.create = function create(properties) {
                return new Threads(properties);
            };

            /**
             * Encodes the specified Threads message. Does not implicitly {@link pymemprof.capture.Threads.verify|verify} messages.
             * @function encode
             * @memberof pymemprof.capture.Threads
             * @static
             * @param {pymemprof.capture.IThreads} message Threads message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Threads.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.thread != null && message.thread.length)
                    for (var i = 0; i < message.thread.length; ++i)
                        $root.pymemprof.capture.Thread.encode(message.thread[i], writer.uint32(/* id 1, wireType 2 =*/10).fork(), q + 1).ldelim();
                return writer;
            };

            /**
             * Decodes a Threads message from the specified reader or buffer.
             * @function decode
             * @memberof pymemprof.capture.Threads
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {pymemprof.capture.Threads} Threads
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Threads.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.pymemprof.capture.Threads();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            if (!(message.thread && message.thread.length))
                                message.thread = [];
                            message.thread.push($root.pymemprof.capture.Thread.decode(reader, reader.uint32(), undefined, long + 1));
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            return Threads;
        })();

        capture.Mark = (function() {

            /**
             * Properties of a Mark.
             * @memberof pymemprof.capture
             * @interface IMark
             * @property {number|null} [id] Mark id
             * @property {string|null} [name] Mark name
             */

            /**
             * Constructs a new Mark.
             * @memberof pymemprof.capture
             * @classdesc Represents a Mark.
             * @implements IMark
             * @constructor
             * @param {pymemprof.capture.IMark=} [properties] Properties to set
             */
            function Mark(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Mark id.
             * @member {number} id
             * @memberof pymemprof.capture.Mark
             * @instance
             */
            Mark.prototype.id = 0;

            /**
             * Mark name.
             * @member {string} name
             * @memberof pymemprof.capture.Mark
             * @instance
             */
            Mark.prototype.name = "";

            /**
             * Creates a new Mark instance using the specified properties.
             * @function create
             * @memberof pymemprof.capture.Mark
             * @static
             * @param {pymemprof.capture.IMark=} [properties] Properties to set
             * @returns {pymemprof.capture.Mark} Mark instance
             */
            Mark.create = function create(properties) {
                return new Mark(properties);
            };

            /**
             * Encodes the specified Mark message. Does not implicitly {@link pymemprof.capture.Mark.verify|verify} messages.
             * @function encode
             * @memberof pymemprof.capture.Mark
             * @static
             * @param {pymemprof.capture.IMark} message Mark message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Mark.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.id != null && Object.hasOwnProperty.call(message, "id"))
                    writer.uint32(/* id 1, wireType 0 =*/8).uint32(message.id);
                if (message.name != null && Object.hasOwnProperty.call(message, "name"))
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.name);
                return writer;
            };

            /**
             * Decodes a Mark message from the specified reader or buffer.
             * @function decode
             * @memberof pymemprof.capture.Mark
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {pymemprof.capture.Mark} Mark
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Mark.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.pymemprof.capture.Mark();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.id = reader.uint32();
                            break;
                        }
                    case 2: {
                            message.name = reader.string();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            return Mark;
        })();

        capture.Marks = (function() {

            /**
             * Properties of a Marks.
             * @memberof pymemprof.capture
             * @interface IMarks
             * @property {Array.<pymemprof.capture.IMark>|null} [mark] Marks mark
             */

            /**
             * Constructs a new Marks.
             * @memberof pymemprof.capture
             * @classdesc Represents a Marks.
             * @implements IMarks
             * @constructor
             * @param {pymemprof.capture.IMarks=} [properties] Properties to set
             */
            function Marks(properties) {
                this.mark = [];
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Marks mark.
             * @member {Array.<pymemprof.capture.IMark>} mark
             * @memberof pymemprof.capture.Marks
             * @instance
             */
            Marks.prototype.mark = $util.emptyArray;

            /**
             * Creates a new Marks instance using the specified properties.
             * @function create
             * @memberof pymemprof.capture.Marks
             * @static
             * @param {pymemprof.capture.IMarks=} [properties] Properties to set
             * @returns {pymemprof.capture.Marks} Marks instance
             */
            Marks.create = function create(properties) {
                return new Marks(properties);
            };

            /**
             * Encodes the specified Marks message. Does not implicitly {@link pymemprof.capture.Marks.verify|verify} messages.
             * @function encode
             * @memberof pymemprof.capture.Marks
             * @static
             * @param {pymemprof.capture.IMarks} message Marks message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Marks.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.mark != null && message.mark.length)
                    for (var i = 0; i < message.mark.length; ++i)
                        $root.pymemprof.capture.Mark.encode(message.mark[i], writer.uint32(/* id 1, wireType 2 =*/10).fork(), q + 1).ldelim();
                return writer;
            };

            /**
             * Decodes a Marks message from the specified reader or buffer.
             * @function decode
             * @memberof pymemprof.capture.Marks
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {pymemprof.capture.Marks} Marks
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Marks.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.pymemprof.capture.Marks();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            if (!(message.mark && message.mark.length))
                                message.mark = [];
                            message.mark.push($root.pymemprof.capture.Mark.decode(reader, reader.uint32(), undefined, long + 1));
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            return Marks;
        })();

        /**
         * RecordKind enum.
         * @name pymemprof.capture.RecordKind
         * @enum {number}
         * @property {number} RECORD_KIND_UNSPECIFIED=0 RECORD_KIND_UNSPECIFIED value
         * @property {number} ALLOC_RAW=1 ALLOC_RAW value
         * @property {number} ALLOC_MEM=2 ALLOC_MEM value
         * @property {number} ALLOC_OBJ=3 ALLOC_OBJ value
         * @property {number} FREE_RAW=4 FREE_RAW value
         * @property {number} FREE_MEM=5 FREE_MEM value
         * @property {number} FREE_OBJ=6 FREE_OBJ value
         * @property {number} RESIZE_RAW=7 RESIZE_RAW value
         * @property {number} RESIZE_MEM=8 RESIZE_MEM value
         * @property {number} RESIZE_OBJ=9 RESIZE_OBJ value
         * @property {number} ARENA_ALLOC=10 ARENA_ALLOC value
         * @property {number} ARENA_FREE=11 ARENA_FREE value
         * @property {number} MARK=12 MARK value
         */
        capture.RecordKind = (function() {
            var valuesById = {}, values = Object.create(valuesById);
            values[valuesById[0] = "RECORD_KIND_UNSPECIFIED"] = 0;
            values[valuesById[1] = "ALLOC_RAW"] = 1;
            values[valuesById[2] = "ALLOC_MEM"] = 2;
            values[valuesById[3] = "ALLOC_OBJ"] = 3;
            values[valuesById[4] = "FREE_RAW"] = 4;
            values[valuesById[5] = "FREE_MEM"] = 5;
            values[valuesById[6] = "FREE_OBJ"] = 6;
            values[valuesById[7] = "RESIZE_RAW"] = 7;
            values[valuesById[8] = "RESIZE_MEM"] = 8;
            values[valuesById[9] = "RESIZE_OBJ"] = 9;
            values[valuesById[10] = "ARENA_ALLOC"] = 10;
            values[valuesById[11] = "ARENA_FREE"] = 11;
            values[valuesById[12] = "MARK"] = 12;
            return values;
        })();

        capture.RecordBatch = (function() {

            /**
             * Properties of a RecordBatch.
             * @memberof pymemprof.capture
             * @interface IRecordBatch
             * @property {Array.<number>|null} [kind] RecordBatch kind
             * @property {Array.<number>|null} [addressDelta] RecordBatch addressDelta
             * @property {Array.<number>|null} [size] RecordBatch size
             * @property {Array.<number>|null} [stack] RecordBatch stack
             * @property {Array.<number>|null} [thread] RecordBatch thread
             * @property {Array.<number>|null} [timeDeltaUs] RecordBatch timeDeltaUs
             * @property {number|null} [baseTimeUs] RecordBatch baseTimeUs
             * @property {Uint8Array|null} [addressOp] RecordBatch addressOp
             * @property {Array.<number>|null} [addressArg] RecordBatch addressArg
             * @property {Array.<number>|null} [timeStep] RecordBatch timeStep
             * @property {Array.<number>|null} [timeRun] RecordBatch timeRun
             * @property {Array.<number>|null} [liveBytes] RecordBatch liveBytes
             * @property {Array.<number>|null} [usableSize] RecordBatch usableSize
             */

            /**
             * Constructs a new RecordBatch.
             * @memberof pymemprof.capture
             * @classdesc Represents a RecordBatch.
             * @implements IRecordBatch
             * @constructor
             * @param {pymemprof.capture.IRecordBatch=} [properties] Properties to set
             */
            function RecordBatch(properties) {
                this.kind = [];
                this.addressDelta = [];
                this.size = [];
                this.stack = [];
                this.thread = [];
                this.timeDeltaUs = [];
                this.addressArg = [];
                this.timeStep = [];
                this.timeRun = [];
                this.liveBytes = [];
                this.usableSize = [];
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * RecordBatch kind.
             * @member {Array.<number>} kind
             * @memberof pymemprof.capture.RecordBatch
             * @instance
             */
            RecordBatch.prototype.kind = $util.emptyArray;

            /**
             * RecordBatch addressDelta.
             * @member {Array.<number>} addressDelta
             * @memberof pymemprof.capture.RecordBatch
             * @instance
             */
            RecordBatch.prototype.addressDelta = $util.emptyArray;

            /**
             * RecordBatch size.
             * @member {Array.<number>} size
             * @memberof pymemprof.capture.RecordBatch
             * @instance
             */
            RecordBatch.prototype.size = $util.emptyArray;

            /**
             * RecordBatch stack.
             * @member {Array.<number>} stack
             * @memberof pymemprof.capture.RecordBatch
             * @instance
             */
            RecordBatch.prototype.stack = $util.emptyArray;

            /**
             * RecordBatch thread.
             * @member {Array.<number>} thread
             * @memberof pymemprof.capture.RecordBatch
             * @instance
             */
            RecordBatch.prototype.thread = $util.emptyArray;

            /**
             * RecordBatch timeDeltaUs.
             * @member {Array.<number>} timeDeltaUs
             * @memberof pymemprof.capture.RecordBatch
             * @instance
             */
            RecordBatch.prototype.timeDeltaUs = $util.emptyArray;

            /**
             * RecordBatch baseTimeUs.
             * @member {number} baseTimeUs
             * @memberof pymemprof.capture.RecordBatch
             * @instance
             */
            RecordBatch.prototype.baseTimeUs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * RecordBatch addressOp.
             * @member {Uint8Array} addressOp
             * @memberof pymemprof.capture.RecordBatch
             * @instance
             */
            RecordBatch.prototype.addressOp = $util.newBuffer([]);

            /**
             * RecordBatch addressArg.
             * @member {Array.<number>} addressArg
             * @memberof pymemprof.capture.RecordBatch
             * @instance
             */
            RecordBatch.prototype.addressArg = $util.emptyArray;

            /**
             * RecordBatch timeStep.
             * @member {Array.<number>} timeStep
             * @memberof pymemprof.capture.RecordBatch
             * @instance
             */
            RecordBatch.prototype.timeStep = $util.emptyArray;

            /**
             * RecordBatch timeRun.
             * @member {Array.<number>} timeRun
             * @memberof pymemprof.capture.RecordBatch
             * @instance
             */
            RecordBatch.prototype.timeRun = $util.emptyArray;

            /**
             * RecordBatch liveBytes.
             * @member {Array.<number>} liveBytes
             * @memberof pymemprof.capture.RecordBatch
             * @instance
             */
            RecordBatch.prototype.liveBytes = $util.emptyArray;

            /**
             * RecordBatch usableSize.
             * @member {Array.<number>} usableSize
             * @memberof pymemprof.capture.RecordBatch
             * @instance
             */
            RecordBatch.prototype.usableSize = $util.emptyArray;

            /**
             * Creates a new RecordBatch instance using the specified properties.
             * @function create
             * @memberof pymemprof.capture.RecordBatch
             * @static
             * @param {pymemprof.capture.IRecordBatch=} [properties] Properties to set
             * @returns {pymemprof.capture.RecordBatch} RecordBatch instance
             */
            RecordBatch.create = function create(properties) {
                return new RecordBatch(properties);
            };

            /**
             * Encodes the specified RecordBatch message. Does not implicitly {@link pymemprof.capture.RecordBatch.verify|verify} messages.
             * @function encode
             * @memberof pymemprof.capture.RecordBatch
             * @static
             * @param {pymemprof.capture.IRecordBatch} message RecordBatch message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            RecordBatch.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.kind != null && message.kind.length) {
                    writer.uint32(/* id 1, wireType 2 =*/10).fork();
                    for (var i = 0; i < message.kind.length; ++i)
                        writer.uint32(message.kind[i]);
                    writer.ldelim();
                }
                if (message.addressDelta != null && message.addressDelta.length) {
                    writer.uint32(/* id 2, wireType 2 =*/18).fork();
                    for (var i = 0; i < message.addressDelta.length; ++i)
                        writer.sint64(message.addressDelta[i]);
                    writer.ldelim();
                }
                if (message.size != null && message.size.length) {
                    writer.uint32(/* id 3, wireType 2 =*/26).fork();
                    for (var i = 0; i < message.size.length; ++i)
                        writer.uint64(message.size[i]);
                    writer.ldelim();
                }
                if (message.stack != null && message.stack.length) {
                    writer.uint32(/* id 4, wireType 2 =*/34).fork();
                    for (var i = 0; i < message.stack.length; ++i)
                        writer.uint32(message.stack[i]);
                    writer.ldelim();
                }
                if (message.thread != null && message.thread.length) {
                    writer.uint32(/* id 5, wireType 2 =*/42).fork();
                    for (var i = 0; i < message.thread.length; ++i)
                        writer.uint32(message.thread[i]);
                    writer.ldelim();
                }
                if (message.timeDeltaUs != null && message.timeDeltaUs.length) {
                    writer.uint32(/* id 6, wireType 2 =*/50).fork();
                    for (var i = 0; i < message.timeDeltaUs.length; ++i)
                        writer.uint64(message.timeDeltaUs[i]);
                    writer.ldelim();
                }
                if (message.baseTimeUs != null && Object.hasOwnProperty.call(message, "baseTimeUs"))
                    writer.uint32(/* id 7, wireType 0 =*/56).uint64(message.baseTimeUs);
                if (message.addressOp != null && Object.hasOwnProperty.call(message, "addressOp"))
                    writer.uint32(/* id 8, wireType 2 =*/66).bytes(message.addressOp);
                if (message.addressArg != null && message.addressArg.length) {
                    writer.uint32(/* id 9, wireType 2 =*/74).fork();
                    for (var i = 0; i < message.addressArg.length; ++i)
                        writer.uint64(message.addressArg[i]);
                    writer.ldelim();
                }
                if (message.timeStep != null && message.timeStep.length) {
                    writer.uint32(/* id 10, wireType 2 =*/82).fork();
                    for (var i = 0; i < message.timeStep.length; ++i)
                        writer.uint64(message.timeStep[i]);
                    writer.ldelim();
                }
                if (message.timeRun != null && message.timeRun.length) {
                    writer.uint32(/* id 11, wireType 2 =*/90).fork();
                    for (var i = 0; i < message.timeRun.length; ++i)
                        writer.uint32(message.timeRun[i]);
                    writer.ldelim();
                }
                if (message.liveBytes != null && message.liveBytes.length) {
                    writer.uint32(/* id 12, wireType 2 =*/98).fork();
                    for (var i = 0; i < message.liveBytes.length; ++i)
                        writer.uint64(message.liveBytes[i]);
                    writer.ldelim();
                }
                if (message.usableSize != null && message.usableSize.length) {
                    writer.uint32(/* id 13, wireType 2 =*/106).fork();
                    for (var i = 0; i < message.usableSize.length; ++i)
                        writer.uint64(message.usableSize[i]);
                    writer.ldelim();
                }
                return writer;
            };

            /**
             * Decodes a RecordBatch message from the specified reader or buffer.
             * @function decode
             * @memberof pymemprof.capture.RecordBatch
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {pymemprof.capture.RecordBatch} RecordBatch
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            RecordBatch.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.pymemprof.capture.RecordBatch();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            if (!(message.kind && message.kind.length))
                                message.kind = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.kind.push(reader.uint32());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.kind.push(reader.uint32());
                            break;
                        }
                    case 2: {
                            if (!(message.addressDelta && message.addressDelta.length))
                                message.addressDelta = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.addressDelta.push(reader.sint64());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.addressDelta.push(reader.sint64());
                            break;
                        }
                    case 3: {
                            if (!(message.size && message.size.length))
                                message.size = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.size.push(reader.uint64());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.size.push(reader.uint64());
                            break;
                        }
                    case 4: {
                            if (!(message.stack && message.stack.length))
                                message.stack = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.stack.push(reader.uint32());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.stack.push(reader.uint32());
                            break;
                        }
                    case 5: {
                            if (!(message.thread && message.thread.length))
                                message.thread = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.thread.push(reader.uint32());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.thread.push(reader.uint32());
                            break;
                        }
                    case 6: {
                            if (!(message.timeDeltaUs && message.timeDeltaUs.length))
                                message.timeDeltaUs = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.timeDeltaUs.push(reader.uint64());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.timeDeltaUs.push(reader.uint64());
                            break;
                        }
                    case 7: {
                            message.baseTimeUs = reader.uint64();
                            break;
                        }
                    case 8: {
                            message.addressOp = reader.bytes();
                            break;
                        }
                    case 9: {
                            if (!(message.addressArg && message.addressArg.length))
                                message.addressArg = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.addressArg.push(reader.uint64());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.addressArg.push(reader.uint64());
                            break;
                        }
                    case 10: {
                            if (!(message.timeStep && message.timeStep.length))
                                message.timeStep = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.timeStep.push(reader.uint64());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.timeStep.push(reader.uint64());
                            break;
                        }
                    case 11: {
                            if (!(message.timeRun && message.timeRun.length))
                                message.timeRun = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.timeRun.push(reader.uint32());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.timeRun.push(reader.uint32());
                            break;
                        }
                    case 12: {
                            if (!(message.liveBytes && message.liveBytes.length))
                                message.liveBytes = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.liveBytes.push(reader.uint64());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.liveBytes.push(reader.uint64());
                            break;
                        }
                    case 13: {
                            if (!(message.usableSize && message.usableSize.length))
                                message.usableSize = [];
                            if ((tag & 7) === 2) {
                                var end2 = reader.uint32() + reader.pos;
                                if (end2 > reader.len)
                                    throw RangeError("index out of range");
                                reader.len = end2;
                                while (reader.pos < end2)
                                    message.usableSize.push(reader.uint64());
                                if (reader.pos !== end2)
                                    throw RangeError("index out of range");
                                reader.len = end;
                            } else
                                message.usableSize.push(reader.uint64());
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            return RecordBatch;
        })();

        capture.Trailer = (function() {

            /**
             * Properties of a Trailer.
             * @memberof pymemprof.capture
             * @interface ITrailer
             * @property {number|null} [records] Trailer records
             * @property {number|null} [allocations] Trailer allocations
             * @property {number|null} [frees] Trailer frees
             * @property {number|null} [durationUs] Trailer durationUs
             * @property {number|null} [batches] Trailer batches
             * @property {number|null} [droppedRecords] Trailer droppedRecords
             */

            /**
             * Constructs a new Trailer.
             * @memberof pymemprof.capture
             * @classdesc Represents a Trailer.
             * @implements ITrailer
             * @constructor
             * @param {pymemprof.capture.ITrailer=} [properties] Properties to set
             */
            function Trailer(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Trailer records.
             * @member {number} records
             * @memberof pymemprof.capture.Trailer
             * @instance
             */
            Trailer.prototype.records = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Trailer allocations.
             * @member {number} allocations
             * @memberof pymemprof.capture.Trailer
             * @instance
             */
            Trailer.prototype.allocations = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Trailer frees.
             * @member {number} frees
             * @memberof pymemprof.capture.Trailer
             * @instance
             */
            Trailer.prototype.frees = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Trailer durationUs.
             * @member {number} durationUs
             * @memberof pymemprof.capture.Trailer
             * @instance
             */
            Trailer.prototype.durationUs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Trailer batches.
             * @member {number} batches
             * @memberof pymemprof.capture.Trailer
             * @instance
             */
            Trailer.prototype.batches = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Trailer droppedRecords.
             * @member {number} droppedRecords
             * @memberof pymemprof.capture.Trailer
             * @instance
             */
            Trailer.prototype.droppedRecords = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Creates a new Trailer instance using the specified properties.
             * @function create
             * @memberof pymemprof.capture.Trailer
             * @static
             * @param {pymemprof.capture.ITrailer=} [properties] Properties to set
             * @returns {pymemprof.capture.Trailer} Trailer instance
             */
            Trailer.create = function create(properties) {
                return new Trailer(properties);
            };

            /**
             * Encodes the specified Trailer message. Does not implicitly {@link pymemprof.capture.Trailer.verify|verify} messages.
             * @function encode
             * @memberof pymemprof.capture.Trailer
             * @static
             * @param {pymemprof.capture.ITrailer} message Trailer message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Trailer.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.records != null && Object.hasOwnProperty.call(message, "records"))
                    writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.records);
                if (message.allocations != null && Object.hasOwnProperty.call(message, "allocations"))
                    writer.uint32(/* id 2, wireType 0 =*/16).uint64(message.allocations);
                if (message.frees != null && Object.hasOwnProperty.call(message, "frees"))
                    writer.uint32(/* id 3, wireType 0 =*/24).uint64(message.frees);
                if (message.durationUs != null && Object.hasOwnProperty.call(message, "durationUs"))
                    writer.uint32(/* id 4, wireType 0 =*/32).uint64(message.durationUs);
                if (message.batches != null && Object.hasOwnProperty.call(message, "batches"))
                    writer.uint32(/* id 5, wireType 0 =*/40).uint64(message.batches);
                if (message.droppedRecords != null && Object.hasOwnProperty.call(message, "droppedRecords"))
                    writer.uint32(/* id 6, wireType 0 =*/48).uint64(message.droppedRecords);
                return writer;
            };

            /**
             * Decodes a Trailer message from the specified reader or buffer.
             * @function decode
             * @memberof pymemprof.capture.Trailer
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {pymemprof.capture.Trailer} Trailer
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Trailer.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.pymemprof.capture.Trailer();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.records = reader.uint64();
                            break;
                        }
                    case 2: {
                            message.allocations = reader.uint64();
                            break;
                        }
                    case 3: {
                            message.frees = reader.uint64();
                            break;
                        }
                    case 4: {
                            message.durationUs = reader.uint64();
                            break;
                        }
                    case 5: {
                            message.batches = reader.uint64();
                            break;
                        }
                    case 6: {
                            message.droppedRecords = reader.uint64();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            return Trailer;
        })();

        return capture;
    })();

    return pymemprof;
})();

module.exports = $root;
